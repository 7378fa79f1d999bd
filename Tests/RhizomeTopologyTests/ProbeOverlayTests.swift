import RhizomeInventory
@testable import RhizomeTopology
import Testing

/// A probe laid over the graph: failed hops, the nodes behind them, and how the tree states it.
@Suite("probe overlay")
struct ProbeOverlayTests {
    func treeGraph() throws -> TopologyGraph {
        try TopologyGraph(inventory: Fixtures.lab("tree"))
    }

    func up(_ rtt: Double) -> ProbeFigures {
        ProbeFigures(state: .up, handshakeMilliseconds: 20, authenticationMilliseconds: 25, bootstrapMilliseconds: 250,
                     rttMilliseconds: rtt, agentVersion: "0.1.0", system: "Linux", release: "6.1.0", machine: "x86_64",
                     hostname: "h")
    }

    @Test("nodes behind a failed hop are unreachable, blocked by it; the summary counts each state")
    func blockedBehindFailedHop() throws {
        var graph = try treeGraph()
        var results: [String: ProbeFigures] = [:]
        for name in ["bastion1", "bastion2"] + (1 ... 8).map { "t0\($0)" } { results[name] = up(2) }
        results["bastion3"] = ProbeFigures(state: .failed, cause: .hostKeyMismatch, message: "HOST KEY MISMATCH for 198.18.2.4")
        graph.overlay(probe: results, elapsedSeconds: 1.5)
        let byName = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.name, $0) })
        for name in ["u01", "u02", "u03", "u04"] {
            #expect(byName[name]?.probe?.state == .unreachable)
            #expect(byName[name]?.probe?.blockedBy == "bastion3")
            #expect(byName[name]?.status == "UNREACHABLE")
        }
        #expect(byName["bastion3"]?.status == "FAILED")
        #expect(byName["t01"]?.status == "UP")
        #expect(graph.probe == ProbeSummary(up: 10, failed: 1, unreachable: 4, elapsedSeconds: 1.5))

        let tree = graph.renderTree(TreeOptions(colour: false, expand: false))
        let lines = tree.split(separator: "\n")
        #expect(lines.contains { $0.contains("bastion3") && $0.contains("FAILED: host key mismatch")
            && $0.contains("HOST KEY MISMATCH for 198.18.2.4") })
        #expect(lines.contains { $0.contains("u[01:04]") && $0.contains("UNREACHABLE behind bastion3") })
        #expect(lines.contains { $0.contains("t[01:08]") && $0.contains("up") && $0.contains("rtt 2.00 ms") })
        #expect(lines.contains { $0.contains("bastion1") && $0.contains("setup 295 ms") && $0.contains("agent 0.1.0")
            && $0.contains("Linux/x86_64") })
    }

    @Test("a failed node is never folded into a range with its siblings")
    func failuresStandAlone() throws {
        var graph = try treeGraph()
        var results: [String: ProbeFigures] = [:]
        for name in ["bastion1", "bastion2", "bastion3"] + (1 ... 8).map { "t0\($0)" } + (1 ... 4).map { "u0\($0)" } {
            results[name] = up(3)
        }
        results["t03"] = ProbeFigures(state: .failed, cause: .authRefused, message: "refused")
        results["t04"] = ProbeFigures(state: .failed, cause: .authRefused, message: "refused")
        graph.overlay(probe: results, elapsedSeconds: 1)
        let tree = graph.renderTree(TreeOptions(colour: false, expand: false))
        #expect(tree.contains("t[01:02]"))
        #expect(tree.contains("── t03  target"))
        #expect(tree.contains("── t04  target"))
        #expect(tree.contains("t[05:08]"))
    }

    @Test("every format carries the probe: json fields, dot and svg labels")
    func formats() throws {
        var graph = try treeGraph()
        graph.overlay(probe: ["bastion1": up(1.5), "bastion2": ProbeFigures(state: .failed, cause: .noRoute, message: "No route to host")],
                      elapsedSeconds: 2)
        let json = graph.renderJSON()
        #expect(json.contains("\"state\" : \"failed\""))
        #expect(json.contains("\"cause\" : \"no route\""))
        #expect(json.contains("\"blocked_by\" : \"bastion2\""))
        #expect(json.contains("\"agent_version\" : \"0.1.0\""))
        #expect(graph.renderDOT().contains("FAILED: no route"))
        #expect(graph.renderSVG().contains("FAILED: no route"))
        #expect(graph.renderMermaid().contains("FAILED: no route"))
    }

    @Test("text from a remote host cannot drive the terminal or break the tree: control characters go, length is capped")
    func remoteTextIsTamed() throws {
        var graph = try treeGraph()
        let hostile = "stage said:\n\u{1B}[2J\u{1B}]0;owned\u{07}boom\r\n" + String(repeating: "x", count: 5000)
        graph.overlay(probe: ["bastion1": ProbeFigures(state: .failed, cause: .bootstrap, message: hostile)], elapsedSeconds: 1)
        for text in [graph.renderTree(TreeOptions(colour: false, expand: false)), graph.renderDOT(), graph.renderMermaid()] {
            #expect(!text.contains("\u{1B}") && !text.contains("\u{07}") && !text.contains("\r"))
            let line = try #require(text.split(separator: "\n").first { $0.contains("stage said") })
            #expect(line.contains("stage said: [2J ]0;owned boom xxx"))
            #expect(line.count < TopologyFormat.messageLength + 200)
        }
    }
}
