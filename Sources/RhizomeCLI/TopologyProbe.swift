import Foundation
import Logging
import RhizomeController
import RhizomeInventory
import RhizomeTopology

/// `rhizome topology --probe`: bring the mesh up to the selected hosts, run
/// nothing, and lay what was found over the graph.
enum TopologyProbe {
    /// Probes `hosts` and overlays the outcome on `graph`. Returns the number
    /// of nodes that failed or could not be reached.
    ///
    /// With `live`, the tree is drawn on the terminal as links come up, and taken off
    /// again when `clearLive` (the result is about to be printed in its place).
    static func run(_ hosts: [ResolvedHost], on graph: inout TopologyGraph, connection: ConnectionOptions,
                    verbosity: Int, live: Bool = false, clearLive: Bool = true) async throws -> Int {
        for warning in connection.controllerOptions().targetCacheWarnings(for: hosts) { Console.err("[WARNING]: \(warning)") }
        let progress = live ? LiveProgress.start(graph: graph, phase: "probe of \(hosts.count) host\(hosts.count == 1 ? "" : "s")",
                                                  tasks: false)
            : nil
        defer { progress?.finish(keepingFrame: !clearLive) }
        let logger = Logger.rhizome(verbosity: verbosity, progress: progress)
        var options = connection.controllerOptions()
        options.linkEvents = progress?.linkEvents
        let controller = try Controller(options: options, agentPath: AgentLocator.locate(),
                                        logger: logger, signerFactory: SignerSetup.factory)
        let outcome = await controller.probe(hosts)
        progress?.finish(keepingFrame: !clearLive)
        for warning in controller.collectedWarnings { Console.err("[WARNING]: \(warning)") }
        await controller.shutdown()
        graph.overlay(probe: figures(outcome), elapsedSeconds: outcome.elapsed)
        return graph.nodes.filter { $0.probe.map { $0.state != .up } ?? false }.count
    }

    /// The probe's findings by node name, as the topology model states them.
    static func figures(_ outcome: ProbeOutcome) -> [String: ProbeFigures] {
        var figures: [String: ProbeFigures] = [:]
        for (name, up) in outcome.up {
            let hello = up.hello
            figures[name] = ProbeFigures(
                state: .up, handshakeMilliseconds: up.timings.handshake * 1000,
                authenticationMilliseconds: up.timings.authentication * 1000,
                bootstrapMilliseconds: up.timings.bootstrap * 1000, rttMilliseconds: up.rtt.map { $0 * 1000 },
                agentVersion: hello.agentVersion, system: hello.system, release: hello.release, machine: hello.machine,
                hostname: hello.hostname)
        }
        for (name, timings) in outcome.tunnels where figures[name] == nil {
            figures[name] = ProbeFigures(
                state: .up, handshakeMilliseconds: timings.handshake * 1000,
                authenticationMilliseconds: timings.authentication * 1000,
                message: "tunnel hop: SSH session only, no agent")
        }
        for (hop, failure) in outcome.failed {
            figures[hop] = ProbeFigures(state: .failed, cause: ProbeFigures.Cause(rawValue: failure.cause.rawValue) ?? .other,
                                        message: failure.reason)
        }
        return figures
    }
}
