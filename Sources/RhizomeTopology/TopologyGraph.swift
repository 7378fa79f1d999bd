import RhizomeInventory

/// The tree the mesh builds to reach a set of hosts: the controller at the root,
/// hops as relays, selected hosts as targets, with the figures of a run laid over it.
///
/// The model holds no secrets: it copies user, address, port and via mode out of
/// each connection and nothing else, so no renderer can leak a password.
public struct TopologyGraph: Sendable {
    /// What a node does in the tree.
    public enum Role: String, Sendable, Codable, CaseIterable {
        case controller
        /// A hop in front of selected hosts, not selected itself.
        case relay
        /// A selected host with nothing behind it.
        case target
        /// A selected host that is also a hop in front of others.
        case relayTarget = "relay+target"
    }

    /// One node. Ids are positions in a depth-first walk, the controller being 0.
    public struct Node: Sendable {
        public var id: Int
        /// The inventory name, or `user@host:port` for a hop outside the inventory.
        public var name: String
        public var role: Role
        /// nil for the controller.
        public var parent: Int?
        public var children: [Int] = []
        /// Depth in the tree: 0 for the controller, 1 for its direct links.
        public var depth: Int
        /// `ansible_user`; nil means the controller's user name.
        public var user: String?
        /// `ansible_host`, or the inventory name; nil for the controller.
        public var address: String?
        public var port: Int?
        /// True for a host reached as a local subprocess (`ansible_connection=local`).
        public var isLocal = false
        /// How the hop in front forwards to this node; nil when the controller links to it directly.
        public var via: ConnectionSpec.ViaMode?
        /// Groups the host belongs to, without `all` and `ungrouped`, sorted.
        public var groups: [String] = []
        /// Figures from a run report, when one was laid over the graph.
        public var run: RunFigures?
        /// What a probe found, when one was laid over the graph.
        public var probe: ProbeFigures?

        /// `user@address:port`, `local`, or nil for the controller.
        public var endpoint: String? {
            if isLocal { return "local" }
            guard let address, let port else { return nil }
            let host = address.contains(":") ? "[\(address)]" : address
            return (user.map { $0 + "@" } ?? "") + host + ":\(port)"
        }

        /// The status of the run on this host; else what a probe found (UP, FAILED,
        /// UNREACHABLE); nil with neither (or for a pure relay in a report).
        public var status: String? {
            if let status = run?.status { return status }
            switch probe?.state {
            case .up: return "UP"
            case .failed: return "FAILED"
            case .unreachable: return "UNREACHABLE"
            case nil: return nil
            }
        }
    }

    /// A link from a parent to a child (the child's id identifies it: every node but the controller has one way in).
    public struct Edge: Sendable {
        public var parent: Int
        public var child: Int
        /// Figures from a run report, when one was laid over the graph.
        public var traffic: LinkFigures?
    }

    /// Nodes indexed by id, in depth-first order.
    public internal(set) var nodes: [Node]
    /// One edge per node except the controller, in the order of `nodes`.
    public internal(set) var edges: [Edge]
    /// Summary of the run report laid over the graph, if any.
    public internal(set) var report: ReportSummary?
    /// Summary of the probe laid over the graph, if any.
    public internal(set) var probe: ProbeSummary?

    /// The graph of the links the mesh builds to reach `hosts`, whose hops the inventory resolved.
    public init(inventory: Inventory, hosts: [ResolvedHost]) {
        let tree = inventory.hopTree(for: hosts)
        var nodes = [Node(id: 0, name: "controller", role: .controller, parent: nil, depth: 0)]
        var edges: [Edge] = []
        func add(_ node: HopTree.Node, parent: Int, depth: Int) {
            let id = nodes.count
            let c = node.connection
            let role: Role = node.isTarget ? (node.children.isEmpty ? .target : .relayTarget) : .relay
            let groups = inventory.host(named: node.name)?.groups.filter { $0 != "all" && $0 != "ungrouped" } ?? []
            nodes.append(Node(
                id: id, name: node.name, role: role, parent: parent, depth: depth, user: c.user,
                address: c.kind == .local ? nil : c.address, port: c.kind == .local ? nil : c.port,
                isLocal: c.kind == .local, via: parent == 0 ? nil : c.viaMode, groups: groups.sorted()))
            nodes[parent].children.append(id)
            edges.append(Edge(parent: parent, child: id))
            for child in node.children { add(child, parent: id, depth: depth + 1) }
        }
        for root in tree.roots { add(root, parent: 0, depth: 1) }
        self.nodes = nodes
        self.edges = edges
    }

    /// The graph for the hosts an Ansible host pattern (and optional limit) selects.
    public init(inventory: Inventory, pattern: String = "all", limit: String? = nil) throws {
        self.init(inventory: inventory, hosts: try inventory.select(pattern, limit: limit))
    }

    /// The controller.
    public var root: Node { nodes[0] }

    /// Every node behind a hop reached with `mode`, as a command-line `--via-mode` makes it,
    /// whatever the inventory says.
    public mutating func overrideViaMode(_ mode: ConnectionSpec.ViaMode) {
        for id in nodes.indices where nodes[id].via != nil { nodes[id].via = mode }
    }

    /// The edge that ends at `node`, nil for the controller.
    public func edge(into node: Int) -> Edge? {
        node == 0 ? nil : edges[node - 1]
    }

    /// Node ids by name (names are unique in a tree: inventory names, or `user@host:port` for bare hops).
    func index() -> [String: Int] {
        Dictionary(nodes.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    mutating func setRun(_ figures: RunFigures, of node: Int) { nodes[node].run = figures }
    mutating func setTraffic(_ figures: LinkFigures, into node: Int) { edges[node - 1].traffic = figures }
}
