/// The views `rhizome inventory` prints: `--list` and `--host` in the JSON shape
/// of `ansible-inventory`, `--graph`, and the hop tree.
extension Inventory {
    /// `ansible-inventory --list`: groups with their hosts and children, and `_meta.hostvars`.
    /// With `maskingSecrets`, secret variables print as `SecretVariables.mask`.
    public func listJSON(limit: String? = nil, maskingSecrets: Bool = false) throws -> String {
        let value = try listValue(limit: limit)
        return (maskingSecrets ? value.maskingSecrets() : value).jsonText()
    }

    /// The value behind `listJSON`, for callers that want to inspect it.
    public func listValue(limit: String? = nil) throws -> InventoryValue {
        let available = try select("all", limit: limit)
        let availableNames = Set(available.map(\.name))
        var result: [String: InventoryValue] = [:]
        var seen: Set<Int> = []
        func format(_ group: Int) {
            let g = graph.groups[group]
            var entry: [String: InventoryValue] = [:]
            if group != InventoryGraph.all {
                let hosts = g.hosts.map { graph.hosts[$0].name }.filter { availableNames.contains($0) }
                if !hosts.isEmpty { entry["hosts"] = .list(hosts.map(InventoryValue.string)) }
            }
            var children: [InventoryValue] = []
            for child in g.children {
                children.append(.string(graph.groups[child].name))
                if !seen.contains(child) {
                    format(child)
                    seen.insert(child)
                }
            }
            if !children.isEmpty { entry["children"] = .list(children) }
            if !entry.isEmpty { result[g.name] = .map(entry) }
        }
        format(InventoryGraph.all)
        var hostvars: [String: InventoryValue] = [:]
        for host in available where !host.vars.isEmpty {
            hostvars[host.name] = .map(host.vars)
        }
        result["_meta"] = .map(["hostvars": .map(hostvars), "profile": .string("inventory_legacy")])
        return .map(result)
    }

    /// `ansible-inventory --host H`: the merged variables of the one host the pattern names.
    /// With `maskingSecrets`, secret variables print as `SecretVariables.mask`.
    public func hostJSON(_ pattern: String, maskingSecrets: Bool = false) throws -> String {
        let hosts = try select(pattern)
        guard hosts.count == 1, let host = hosts.first else {
            throw InventoryError(.pattern, "--host needs a pattern that names exactly one host; '\(pattern)' matches \(hosts.count)")
        }
        // Like ansible-inventory --host, show unsafe text without its `__ansible_unsafe` wrapper.
        let value = InventoryValue.map(host.vars).removingUnsafeMarkers()
        return (maskingSecrets ? value.maskingSecrets() : value).jsonText()
    }

    /// `ansible-inventory --graph [GROUP]`: the group tree with each group's own hosts.
    public func graphText(group name: String = "all") throws -> String {
        guard let start = graph.groupIndex[name] else {
            throw InventoryError(.pattern, "--graph needs a group name; '\(name)' is not a group")
        }
        var lines: [String] = []
        func label(_ text: String, _ depth: Int) -> String {
            depth == 0 ? text : String(repeating: "  |", count: depth) + "--" + text
        }
        func walk(_ group: Int, _ depth: Int) {
            let g = graph.groups[group]
            lines.append(label("@\(g.name):", depth))
            for child in g.children { walk(child, depth + 1) }
            if group != InventoryGraph.all {
                for host in g.hosts { lines.append(label(graph.hosts[host].name, depth + 1)) }
            }
        }
        walk(start, 0)
        return lines.joined(separator: "\n")
    }

    /// The tree of links the mesh will build to reach `hosts`.
    public func hopTree(for hosts: [ResolvedHost]) -> HopTree {
        HopTree(hosts: hosts)
    }
}

/// The links the mesh builds: the controller at the root, hops as inner nodes,
/// selected hosts as leaves (or inner nodes, when they are also hops).
public struct HopTree: Sendable {
    /// One node: a selected host or a hop in front of some.
    public struct Node: Sendable {
        /// The inventory name, or `user@host:port` for a hop outside the inventory.
        public var name: String
        /// How the node's parent (or the controller) reaches it.
        public var connection: ConnectionSpec
        /// Whether the node is one of the selected hosts (not only a hop).
        public var isTarget: Bool
        /// Nodes reached through this one.
        public var children: [Node]
    }

    /// The controller's direct links.
    public var roots: [Node]

    public init(hosts: [ResolvedHost]) {
        final class Builder {
            var name: String
            var connection: ConnectionSpec
            var isTarget = false
            var children: [Builder] = []
            var index: [String: Builder] = [:]
            init(name: String, connection: ConnectionSpec) {
                self.name = name
                self.connection = connection
            }
            func child(_ name: String, _ connection: ConnectionSpec) -> Builder {
                if let existing = index[name] { return existing }
                let node = Builder(name: name, connection: connection)
                index[name] = node
                children.append(node)
                return node
            }
            func freeze() -> Node {
                Node(name: name, connection: connection, isTarget: isTarget, children: children.map { $0.freeze() })
            }
        }
        let root = Builder(name: "controller", connection: ConnectionSpec(address: "localhost", kind: .local))
        for host in hosts {
            var cursor = root
            for hop in host.hops { cursor = cursor.child(hop.name, hop.connection) }
            let leaf = cursor.child(host.name, host.connection)
            leaf.isTarget = true
            leaf.connection = host.connection
        }
        roots = root.children.map { $0.freeze() }
    }

    /// A drawing of the tree with each link's parameters; secrets are never shown.
    public func render() -> String {
        var lines = ["controller"]
        func walk(_ nodes: [Node], _ prefix: String, _ viaHop: Bool) {
            for (i, node) in nodes.enumerated() {
                let last = i == nodes.count - 1
                lines.append(prefix + (last ? "└── " : "├── ") + node.name + "  " + Self.describe(node, viaHop: viaHop))
                walk(node.children, prefix + (last ? "    " : "│   "), true)
            }
        }
        walk(roots, "", false)
        return lines.joined(separator: "\n")
    }

    static func describe(_ node: Node, viaHop: Bool) -> String {
        let c = node.connection
        var parts: [String] = []
        if c.kind == .local {
            parts.append("local")
        } else {
            let host = c.address.containsByte(":") ? "[\(c.address)]" : c.address
            parts.append((c.user.map { $0 + "@" } ?? "") + host + ":\(c.port)")
            if viaHop { parts.append(c.viaMode.rawValue) }
        }
        if !node.isTarget { parts.append("hop") }
        if !c.identityFiles.isEmpty { parts.append("key=" + c.identityFiles.joined(separator: ",")) }
        if let file = c.knownHostsFile { parts.append("known_hosts=" + file) }
        if let checking = c.hostKeyChecking { parts.append("host_key_checking=" + checking.rawValue) }
        if let timeout = c.connectTimeout { parts.append("timeout=" + JSONWriter.pythonFloat(timeout).replacingSuffix(".0", "") + "s") }
        if c.password != nil { parts.append("password=(set)") }
        if c.become {
            var text = "become"
            if let user = c.becomeUser { text += "=" + user }
            if let method = c.becomeMethod { text += " (\(method))" }
            parts.append(text)
        }
        if c.becomePassword != nil { parts.append("become_password=(set)") }
        if let cache = c.targetCache { parts.append("target_cache=" + cache) }
        if let bytes = c.targetCacheBytes { parts.append("target_cache_size=\(bytes)") }
        return parts.joined(separator: " ")
    }
}

extension String {
    func replacingSuffix(_ suffix: String, _ replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}

extension InventoryValue {
    /// `{"__ansible_unsafe": text}` → `text`, at every level.
    func removingUnsafeMarkers() -> InventoryValue {
        switch self {
        case .map(let m):
            if m.count == 1, let inner = m["__ansible_unsafe"], case .string = inner { return inner }
            return .map(m.mapValues { $0.removingUnsafeMarkers() })
        case .list(let items):
            return .list(items.map { $0.removingUnsafeMarkers() })
        default:
            return self
        }
    }
}
