import Foundation

/// A loaded inventory: hosts with merged variables, connection parameters and hop
/// chains, all resolved at load time so that nothing partial is ever used.
public struct Inventory: Sendable {
    let graph: InventoryGraph
    /// Resolved hosts, indexed like `graph.hosts`.
    let resolved: [ResolvedHost]
    /// Each host's groups sorted by (depth, priority, name), without `all`.
    let hostGroups: [[Int]]
    let extraVars: VariableTable
    /// Variables of the implicit `localhost`, for patterns that name it when the inventory does not.
    let implicitLocalhost: ResolvedHost

    /// Things that could not be honoured, each naming file:line and host. Never printed by the library.
    public let warnings: [String]

    /// Host names in the order they were first declared.
    public var hostNames: [String] { graph.hosts.map(\.name) }
    /// Group names in the order they were first declared, starting with `all` and `ungrouped`.
    public var groupNames: [String] { graph.groups.map(\.name) }

    /// Loads and merges sources: files (YAML or INI, detected), directories, or a comma list ("h1,h2," / "h1:2222,").
    ///
    /// - Parameters:
    ///   - extraVars: `-e` values: `key=value …`, a JSON/YAML mapping, or `@file`.
    ///   - sshConfig: an ssh_config file; nil means `~/.ssh/config` when it exists, "" or "none" means none.
    public static func load(sources: [String], extraVars: [String] = [], sshConfig: String? = nil) throws -> Inventory {
        var loader = InventorySources()
        try loader.load(sources)
        let extra = try ExtraVars.parse(extraVars)
        let config = try SSHConfig.load(path: sshConfig)
        return try InventoryResolver(sources: loader, extraVars: extra, sshConfig: config).resolve()
    }

    init(graph: InventoryGraph, resolved: [ResolvedHost], hostGroups: [[Int]], extraVars: VariableTable,
         implicitLocalhost: ResolvedHost, warnings: [String]) {
        self.graph = graph
        self.resolved = resolved
        self.hostGroups = hostGroups
        self.extraVars = extraVars
        self.implicitLocalhost = implicitLocalhost
        self.warnings = warnings
    }

    /// Hosts matched by an Ansible host pattern (and optional --limit), in inventory order, with hops resolved.
    public func select(_ pattern: String, limit: String? = nil) throws -> [ResolvedHost] {
        try match(pattern, limit: limit).hosts
    }

    /// Like `select`, and also says which parts of the pattern matched nothing.
    public func match(_ pattern: String, limit: String? = nil) throws -> Selection {
        var evaluator = PatternEvaluator(inventory: self)
        var ids = try evaluator.evaluate(HostPattern.split(pattern))
        if let limit {
            let subset = try HostPattern.limitPatterns(limit)
            let allowed = Set(try evaluator.evaluate(subset))
            ids = ids.filter { allowed.contains($0) }
        }
        var seen: Set<Int> = []
        var hosts: [ResolvedHost] = []
        for id in ids where seen.insert(id).inserted {
            hosts.append(id == PatternEvaluator.implicitLocalhostID ? implicitLocalhost : resolved[id])
        }
        return Selection(hosts: hosts, unmatched: evaluator.unmatched)
    }

    /// The host with this inventory name.
    public func host(named name: String) -> ResolvedHost? {
        guard let id = graph.hostIndex[name] else { return nil }
        return resolved[id]
    }

    /// All hosts in the order they were first declared.
    public var hosts: [ResolvedHost] { resolved }

    /// The result of matching a pattern.
    public struct Selection: Sendable {
        /// Matched hosts, in inventory order, without duplicates.
        public var hosts: [ResolvedHost]
        /// Parts of the pattern that matched no group and no host (Ansible warns about these).
        public var unmatched: [String]
    }
}
