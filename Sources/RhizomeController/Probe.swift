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
    public func probe(_ hosts: [ResolvedHost]) async -> ProbeOutcome {
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
        let handles = nodes.map(\.handle)
        let rtts = await withTaskGroup(of: (String, Double?).self) { group in
            for handle in handles {
                group.addTask { (handle.host, await self.ping(handle)) }
            }
            var rtts: [String: Double?] = [:]
            for await (name, rtt) in group { rtts[name] = rtt }
            return rtts
        }
        for handle in handles {
            outcome.up[handle.host] = ProbeOutcome.Up(hello: handle.hello, timings: handle.timings, rtt: rtts[handle.host] ?? nil)
        }
        outcome.tunnels = tunnelHops
        outcome.elapsed = Clock.seconds() - start
        return outcome
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
