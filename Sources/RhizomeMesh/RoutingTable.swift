import RhizomeWire

/// Which child link leads to each descendant of a node.
///
/// A node learns a route when a `ChildUp` for a descendant passes through it
/// from below, and forgets a whole subtree when the link to a child dies.
public struct RoutingTable: Sendable {
    /// descendant → the direct child whose link leads to it.
    private var next: [NodeID: NodeID] = [:]

    public init() {}

    /// All descendants known.
    public var destinations: [NodeID] { Array(next.keys) }

    /// A direct child.
    public mutating func addChild(_ child: NodeID) {
        next[child] = child
    }

    /// `node` is reached through the direct child `child`.
    public mutating func add(_ node: NodeID, via child: NodeID) {
        next[node] = child
    }

    /// The direct child to forward a message for `node` to, if any.
    public func nextHop(for node: NodeID) -> NodeID? {
        next[node]
    }

    /// Forgets `child` and everything reached through it; returns them.
    public mutating func removeSubtree(of child: NodeID) -> [NodeID] {
        let lost = next.filter { $0.value == child }.map(\.key).sorted()
        for node in lost { next[node] = nil }
        return lost
    }

    /// Forgets single nodes (reported down from below).
    public mutating func remove(_ nodes: [NodeID]) {
        for node in nodes { next[node] = nil }
    }

    /// True when `node` sits below `child` (or is `child`).
    public func isReached(_ node: NodeID, through child: NodeID) -> Bool {
        next[node] == child
    }
}
