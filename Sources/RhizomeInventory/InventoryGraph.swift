/// Groups and hosts as the parsers declare them, before variables are merged.
/// Mirrors the rules of Ansible's `InventoryData`: `all` and `ungrouped` always
/// exist, groups without a parent end up under `all`, and hosts without a group
/// end up in `ungrouped`.
struct InventoryGraph: Sendable {
    struct Group: Sendable {
        var name: String
        var vars = VariableTable()
        /// Child groups, in the order they were added.
        var children: [Int] = []
        var parents: [Int] = []
        /// Hosts declared directly in this group, in order.
        var hosts: [Int] = []
        var hostSet: Set<Int> = []
        /// `ansible_group_priority`.
        var priority = 1
        var location: SourceLocation?
    }

    struct Host: Sendable {
        var name: String
        var vars = VariableTable()
        /// Groups the host was declared in directly, in order.
        var groups: [Int] = []
        var location: SourceLocation?
    }

    static let all = 0
    static let ungrouped = 1

    private(set) var groups: [Group] = []
    private(set) var hosts: [Host] = []
    private(set) var groupIndex: [String: Int] = [:]
    private(set) var hostIndex: [String: Int] = [:]

    init() {
        _ = addGroup("all", at: nil)
        _ = addGroup("ungrouped", at: nil)
        try? addChild(parent: Self.all, child: Self.ungrouped, at: nil)
    }

    @discardableResult
    mutating func addGroup(_ name: String, at location: SourceLocation?) -> Int {
        if let id = groupIndex[name] { return id }
        let id = groups.count
        groups.append(Group(name: name, location: location))
        groupIndex[name] = id
        return id
    }

    /// Adds a host (or finds it) and puts it in `group`. Like Ansible, a port only
    /// counts the first time the host is seen.
    @discardableResult
    mutating func addHost(_ name: String, group: Int?, port: Int?, at location: SourceLocation?) -> Int {
        let id: Int
        if let existing = hostIndex[name] {
            id = existing
        } else {
            id = hosts.count
            var host = Host(name: name, location: location)
            if let port { host.vars.set("ansible_port", .int(port), at: location) }
            hosts.append(host)
            hostIndex[name] = id
        }
        if let group, !groups[group].hostSet.contains(id) {
            groups[group].hosts.append(id)
            groups[group].hostSet.insert(id)
            hosts[id].groups.append(group)
        }
        return id
    }

    mutating func addChild(parent: Int, child: Int, at location: SourceLocation?) throws {
        if parent == child {
            throw InventoryError(.cycle, "group '\(groups[parent].name)' cannot be a child of itself", at: location,
                                 snippet: groups[parent].name)
        }
        if groups[parent].children.contains(child) { return }
        if isAncestor(child, of: parent) {
            throw InventoryError(.cycle,
                                 "adding group '\(groups[child].name)' as a child of '\(groups[parent].name)' creates a loop: "
                                     + loopDescription(from: child, to: parent),
                                 at: location, snippet: groups[child].name)
        }
        groups[parent].children.append(child)
        if !groups[child].parents.contains(parent) { groups[child].parents.append(parent) }
    }

    mutating func setGroupVariable(_ group: Int, _ key: String, _ value: InventoryValue,
                                   at location: SourceLocation?) throws {
        if key == "ansible_group_priority" {
            // Ansible keeps the priority out of the variables.
            guard let priority = value.integer else {
                throw InventoryError(.invalidValue, "ansible_group_priority of group '\(groups[group].name)' must be an integer",
                                     at: location, snippet: value.scalarText)
            }
            groups[group].priority = priority
            return
        }
        groups[group].vars.set(key, value, at: location)
    }

    mutating func setHostVariable(_ host: Int, _ key: String, _ value: InventoryValue, at location: SourceLocation?) {
        hosts[host].vars.set(key, value, at: location)
    }

    mutating func mergeGroupVariables(_ group: Int, _ table: VariableTable) {
        groups[group].vars.merge(table)
    }

    /// Whether `candidate` is `group` itself or one of its ancestors.
    func isAncestor(_ candidate: Int, of group: Int) -> Bool {
        if candidate == group { return true }
        var seen: Set<Int> = [group]
        var stack = [group]
        while let g = stack.popLast() {
            for p in groups[g].parents where !seen.contains(p) {
                if p == candidate { return true }
                seen.insert(p)
                stack.append(p)
            }
        }
        return false
    }

    private func loopDescription(from child: Int, to parent: Int) -> String {
        // Path from `child` down to `parent` through existing child links, then back to `child`.
        var previous: [Int: Int] = [:]
        var queue = [child]
        var index = 0
        while index < queue.count {
            let g = queue[index]
            index += 1
            if g == parent { break }
            for c in groups[g].children where previous[c] == nil && c != child {
                previous[c] = g
                queue.append(c)
            }
        }
        var path = [parent]
        var cursor = parent
        while cursor != child, let p = previous[cursor] {
            path.append(p)
            cursor = p
        }
        let names = path.reversed().map { groups[$0].name }
        return (names + [names.first ?? ""]).joined(separator: " → ")
    }

    /// Ansible's `reconcile_inventory`: top-level groups go under `all`, hosts
    /// without a group go to `ungrouped`, and hosts with a real group leave it.
    mutating func reconcile() {
        for id in groups.indices where id != Self.all && groups[id].parents.isEmpty {
            groups[Self.all].children.append(id)
            groups[id].parents.append(Self.all)
        }
        for id in hosts.indices {
            let direct = hosts[id].groups
            let real = direct.contains { $0 != Self.all && $0 != Self.ungrouped }
            if direct.contains(Self.ungrouped) {
                if real { removeHost(id, from: Self.ungrouped) }
            } else if !real {
                _ = addHost(hosts[id].name, group: Self.ungrouped, port: nil, at: nil)
            }
        }
    }

    private mutating func removeHost(_ host: Int, from group: Int) {
        groups[group].hosts.removeAll { $0 == host }
        groups[group].hostSet.remove(host)
        hosts[host].groups.removeAll { $0 == group }
    }
}
