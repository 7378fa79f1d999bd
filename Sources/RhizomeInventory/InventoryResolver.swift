import Foundation

/// Merges variables by Ansible's precedence and resolves every host's connection
/// and hops, turning a graph of declarations into an `Inventory`.
///
/// Precedence, lowest first (Ansible's `VARIABLE_PRECEDENCE` defaults):
/// 1. `all` group variables from inventory files,
/// 2. other groups' variables from inventory files, sorted by (depth, `ansible_group_priority`, name),
/// 3. `group_vars/all`, 4. `group_vars/<group>` in the same order,
/// 5. host variables from inventory files, 6. `host_vars/<host>`,
/// 7. extra vars (`-e`).
struct InventoryResolver {
    let sources: InventorySources
    let extraVars: VariableTable
    let sshConfig: SSHConfig?

    func resolve() throws -> Inventory {
        let graph = sources.graph
        let groupCount = graph.groups.count
        var warnings = sources.warnings + (sshConfig?.warnings ?? [])
        for host in graph.hosts where graph.groupIndex[host.name] != nil {
            warnings.append(InventoryWarning("found both a group and a host named '\(host.name)'", at: host.location))
        }

        // Depth: the longest path from `all`, computed in topological order.
        var depth = [Int](repeating: 0, count: groupCount)
        var ancestors = [[Int]](repeating: [], count: groupCount)
        var pending = graph.groups.map(\.parents.count)
        var queue = (0..<groupCount).filter { pending[$0] == 0 }
        var head = 0
        while head < queue.count {
            let g = queue[head]
            head += 1
            var own: Set<Int> = [g]
            for p in graph.groups[g].parents {
                own.formUnion(ancestors[p])
                depth[g] = max(depth[g], depth[p] + 1)
            }
            ancestors[g] = Array(own)
            for c in graph.groups[g].children {
                pending[c] -= 1
                if pending[c] == 0 { queue.append(c) }
            }
        }
        // Rank of each group in Ansible's sort_groups order.
        let sortedGroups = (0..<groupCount).sorted { a, b in
            if depth[a] != depth[b] { return depth[a] < depth[b] }
            let pa = graph.groups[a].priority, pb = graph.groups[b].priority
            if pa != pb { return pa < pb }
            return codePointLess(graph.groups[a].name, graph.groups[b].name)
        }
        var rank = [Int](repeating: 0, count: groupCount)
        for (r, g) in sortedGroups.enumerated() { rank[g] = r }

        // group_vars/ and host_vars/ files, per directory.
        let directories = sources.variableDirectories
        let groupFiles = try VariableFiles.tables(kind: "group_vars", names: graph.groups.map(\.name),
                                                  directories: directories)
        let hostFiles = try VariableFiles.tables(kind: "host_vars", names: graph.hosts.map(\.name),
                                                 directories: directories)

        let allGroup = InventoryGraph.all
        let connections = ConnectionResolver(sshConfig: sshConfig)
        var hostGroups = [[Int]](repeating: [], count: graph.hosts.count)
        var hostVars = [VariableTable](repeating: VariableTable(), count: graph.hosts.count)
        var results: [ConnectionResolver.Result] = []
        results.reserveCapacity(graph.hosts.count)
        // Hosts with the same direct groups share everything up to their own variables.
        var groupLevel: [[Int]: (ordered: [Int], vars: VariableTable)] = [:]
        for (id, host) in graph.hosts.enumerated() {
            let shared: (ordered: [Int], vars: VariableTable)
            if let cached = groupLevel[host.groups] {
                shared = cached
            } else {
                var member: Set<Int> = []
                for g in host.groups { member.formUnion(ancestors[g]) }
                member.remove(allGroup)
                let ordered = member.sorted { rank[$0] < rank[$1] }
                var vars = graph.groups[allGroup].vars
                for g in ordered { vars.merge(graph.groups[g].vars) }
                for d in directories.indices {
                    if let t = groupFiles[d][allGroup] { vars.merge(t) }
                }
                for d in directories.indices {
                    for g in ordered { if let t = groupFiles[d][g] { vars.merge(t) } }
                }
                shared = (ordered, vars)
                groupLevel[host.groups] = shared
            }
            hostGroups[id] = shared.ordered
            var vars = shared.vars
            vars.merge(host.vars)
            for d in directories.indices {
                if let t = hostFiles[d][id] { vars.merge(t) }
            }
            vars.merge(extraVars)
            hostVars[id] = vars
            let result = try connections.resolve(name: host.name, vars: vars)
            warnings += result.warnings
            results.append(result)
        }

        var hops = HopResolver(graph: graph, results: results, sshConfig: sshConfig)
        let chains = try hops.resolve()
        warnings += hops.warnings

        var resolved: [ResolvedHost] = []
        resolved.reserveCapacity(graph.hosts.count)
        for (id, host) in graph.hosts.enumerated() {
            let groups = (["all"] + hostGroups[id].map { graph.groups[$0].name }).sorted(by: codePointLess)
            resolved.append(ResolvedHost(name: host.name, vars: hostVars[id].values, groups: groups,
                                         connection: results[id].connection, hops: chains[id]))
        }

        // Ansible's implicit localhost: `all` variables, a local connection, not a member of any group.
        var localVars = graph.groups[allGroup].vars
        for d in directories.indices { if let t = groupFiles[d][allGroup] { localVars.merge(t) } }
        localVars.set("ansible_connection", .string("local"), at: nil)
        localVars.merge(extraVars)
        var localConnection = (try? connections.resolve(name: "localhost", vars: localVars))?.connection
            ?? ConnectionSpec(address: "localhost", kind: .local)
        localConnection.kind = .local
        let localhost = ResolvedHost(name: "localhost", vars: localVars.values, groups: [], connection: localConnection)

        return Inventory(graph: graph, resolved: resolved, hostGroups: hostGroups, extraVars: extraVars,
                         implicitLocalhost: localhost, warnings: InventoryWarning.render(warnings))
    }
}
