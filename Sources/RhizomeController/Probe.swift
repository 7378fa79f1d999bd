import RhizomeIO
import RhizomeInventory
import RhizomeMesh
import RhizomeWire

/// What bringing up the mesh to a set of hosts found, without running a task:
/// every node that came up (relays included) with its agent's facts, set-up
/// times and a round trip, and every hop whose link failed, with why.
public struct ProbeOutcome: Sendable {
    public struct Up: Sendable {
        public var hello: Hello
        public var timings: LinkTimings
        /// Round trip of a ping from the controller, in seconds; nil if unanswered.
        public var rtt: Double?
    }

    /// Nodes whose agent came up, by inventory name.
    public var up: [String: Up] = [:]
    /// Tunnel hops (bastions passed through without an agent) whose session opened, by name.
    public var tunnels: [String: LinkTimings] = [:]
    /// Failures by the name of the hop whose link failed (not the hosts behind it).
    public var failed: [String: HostUnreachable] = [:]
    /// Wall time of the whole probe, in seconds.
    public var elapsed: Double = 0
}

extension Controller {
    /// Brings up an agent on every host in `hosts` and every hop in front of
    /// them, `--forks` at a time under each node, then pings each agent once.
    /// Runs no task. Never throws: failures are part of the outcome.
    ///
    /// An agent that came up but does not answer its ping within `pingTimeout`
    /// seconds, or whose link is lost meanwhile, is a failure of its own link,
    /// unless the node in front of it failed its ping too (then it is behind that one).
    public func probe(_ hosts: [ResolvedHost], pingTimeout: Double = 10) async -> ProbeOutcome {
        let start = Clock.seconds()
        var outcome = ProbeOutcome()
        let failures = await withTaskGroup(of: HostUnreachable?.self) { group in
            for host in hosts {
                group.addTask {
                    if case .failure(let error) = await self.connect(host) { return error }
                    return nil
                }
            }
            var failures: [HostUnreachable] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        for failure in failures where outcome.failed[failure.hop] == nil {
            // The hop's own failure, as its own bring-up reported it.
            outcome.failed[failure.hop] = failure.host == failure.hop ? failure
                : HostUnreachable(host: failure.hop, reason: Self.ownReason(failure), hop: failure.hop, cause: failure.cause)
        }
        let tree = nodes
        let pings = await withTaskGroup(of: (NodeID, Double?, Double).self) { group in
            for (handle, _) in tree {
                group.addTask {
                    let start = Clock.seconds()
                    let rtt = await self.ping(handle, timeout: pingTimeout)
                    return (handle.node, rtt, Clock.seconds() - start)
                }
            }
            var pings: [NodeID: (rtt: Double?, waited: Double)] = [:]
            for await (node, rtt, waited) in group { pings[node] = (rtt, waited) }
            return pings
        }
        Self.settle(tree, pings: pings, timeout: pingTimeout, into: &outcome)
        outcome.tunnels = tunnelHops
        outcome.elapsed = Clock.seconds() - start
        return outcome
    }

    /// Lays the answers to the pings into `outcome`: a node that answered is up; one that did
    /// not is a failure of its own (a timeout, or its link was lost) when the node in front of
    /// it answered, and is left out (so, behind that one) when the node in front failed too.
    static func settle(_ tree: [(handle: AgentHandle, parent: NodeID)], pings: [NodeID: (rtt: Double?, waited: Double)],
                       timeout: Double, into outcome: inout ProbeOutcome) {
        for (handle, parent) in tree {
            guard let ping = pings[handle.node] else { continue }
            if let rtt = ping.rtt {
                outcome.up[handle.host] = ProbeOutcome.Up(hello: handle.hello, timings: handle.timings, rtt: rtt)
            } else if parent == .controller || pings[parent]?.rtt != nil {
                let timedOut = ping.waited >= timeout
                outcome.failed[handle.host] = HostUnreachable(
                    host: handle.host,
                    reason: timedOut ? "the agent came up but did not answer a ping within \(Int(timeout)) s"
                        : "the agent came up, then its link was lost",
                    cause: timedOut ? .timeout : .linkLost)
            }
        }
    }

    /// The reason as the failing hop saw it, without the "through X: " prefixes of the hosts behind it.
    static func ownReason(_ failure: HostUnreachable) -> String {
        var reason = Substring(failure.reason)
        while reason.hasPrefix("through "), let colon = reason.range(of: ": ") {
            reason = reason[colon.upperBound...]
        }
        return String(reason)
    }
}
