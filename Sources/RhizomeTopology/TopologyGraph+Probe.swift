/// What `rhizome topology --probe` found out about one node by bringing its agent up.
public struct ProbeFigures: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        /// The agent came up and answered a ping.
        case up
        /// The link to this node failed: `cause` and `message` say why.
        case failed
        /// A hop in front of this node failed (`blockedBy` names it); this node was never tried.
        case unreachable
    }

    /// Why a link failed, in the words every renderer uses.
    public enum Cause: String, Sendable, Hashable, Codable, CaseIterable {
        case hostKeyMismatch = "host key mismatch"
        case hostKeyUnknown = "host key unknown"
        case authRefused = "auth refused"
        case timeout
        case noRoute = "no route"
        case connectionRefused = "connection refused"
        case nameNotResolved = "name not resolved"
        case handshake = "handshake failed"
        case bootstrap = "bootstrap failed"
        case linkLost = "link lost"
        case other
    }

    public var state: State
    /// SSH connect and key exchange, authentication, and agent bootstrap, in milliseconds.
    public var handshakeMilliseconds: Double?
    public var authenticationMilliseconds: Double?
    public var bootstrapMilliseconds: Double?
    /// Round trip of a ping from the controller to the node's agent, through every hop in front.
    public var rttMilliseconds: Double?
    /// What the agent said of itself.
    public var agentVersion: String?
    /// `uname -s`, `-r`, `-m` and the host name, as the agent read them.
    public var system: String?
    public var release: String?
    public var machine: String?
    public var hostname: String?
    /// For `.failed`.
    public var cause: Cause?
    /// For `.failed`: the error as the link setup reported it.
    public var message: String?
    /// For `.unreachable`: the name of the hop that failed in front of this node.
    public var blockedBy: String?

    public init(state: State, handshakeMilliseconds: Double? = nil, authenticationMilliseconds: Double? = nil,
                bootstrapMilliseconds: Double? = nil, rttMilliseconds: Double? = nil, agentVersion: String? = nil,
                system: String? = nil, release: String? = nil, machine: String? = nil, hostname: String? = nil,
                cause: Cause? = nil, message: String? = nil, blockedBy: String? = nil) {
        self.state = state
        self.handshakeMilliseconds = handshakeMilliseconds
        self.authenticationMilliseconds = authenticationMilliseconds
        self.bootstrapMilliseconds = bootstrapMilliseconds
        self.rttMilliseconds = rttMilliseconds
        self.agentVersion = agentVersion
        self.system = system
        self.release = release
        self.machine = machine
        self.hostname = hostname
        self.cause = cause
        self.message = message
        self.blockedBy = blockedBy
    }

    /// Handshake, authentication and bootstrap together, when all were measured.
    public var setupMilliseconds: Double? {
        guard let h = handshakeMilliseconds, let a = authenticationMilliseconds, let b = bootstrapMilliseconds else { return nil }
        return h + a + b
    }

    /// `Linux/x86_64`.
    public var platform: String? {
        switch (system, machine) {
        case let (s?, m?): return "\(s)/\(m)"
        case let (s?, nil): return s
        case let (nil, m?): return m
        default: return nil
        }
    }
}

/// A summary of a probe as a whole.
public struct ProbeSummary: Sendable, Hashable, Codable {
    public var up: Int
    public var failed: Int
    public var unreachable: Int
    /// Wall time of the whole probe, in seconds.
    public var elapsedSeconds: Double
}

extension TopologyGraph {
    /// Lays the results of a probe over the graph, matched by node name. Nodes
    /// without an entry keep no probe figures. Nodes behind a failed hop that
    /// have no entry of their own are marked unreachable, blocked by that hop.
    public mutating func overlay(probe results: [String: ProbeFigures], elapsedSeconds: Double) {
        for id in nodes.indices where id != 0 {
            if let figures = results[nodes[id].name] {
                nodes[id].probe = figures
            } else if let parent = nodes[id].parent, parent != 0, let above = nodes[parent].probe, above.state != .up {
                // Depth-first order: the parent is already set.
                nodes[id].probe = ProbeFigures(state: .unreachable,
                                               blockedBy: above.state == .failed ? nodes[parent].name : above.blockedBy)
            }
        }
        let probed = nodes.compactMap(\.probe)
        probe = ProbeSummary(up: probed.filter { $0.state == .up }.count,
                             failed: probed.filter { $0.state == .failed }.count,
                             unreachable: probed.filter { $0.state == .unreachable }.count,
                             elapsedSeconds: elapsedSeconds)
    }
}
