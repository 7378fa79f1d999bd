import ArgumentParser
@testable import RhizomeController
import RhizomeMesh
import RhizomeTopology
import RhizomeWire
import Testing
@testable import RhizomeCLI

@Suite("rhizome topology --probe: from the controller's outcome to the topology's figures")
struct TopologyProbeTests {
    @Test("every cause the mesh reports has the same words in the topology model")
    func causesAgree() {
        for cause in LinkFailureCause.allCases {
            #expect(ProbeFigures.Cause(rawValue: cause.rawValue) != nil, "\(cause)")
        }
        #expect(Set(LinkFailureCause.allCases.map(\.rawValue)) == Set(ProbeFigures.Cause.allCases.map(\.rawValue)))
    }

    @Test("agents up, tunnel hops and failed hops become probe figures, in milliseconds")
    func figures() {
        var outcome = ProbeOutcome()
        let hello = Hello(agentVersion: "0.1.0", imageDigest: [], pid: 7, system: "Linux", release: "6.1.0-28-amd64",
                          machine: "x86_64", hostname: "web1", directory: "/tmp")
        outcome.up["web1"] = ProbeOutcome.Up(hello: hello, timings: LinkTimings(handshake: 0.012, authentication: 0.020,
                                                                                  bootstrap: 0.250), rtt: 0.0015)
        outcome.tunnels["gw"] = LinkTimings(handshake: 0.010, authentication: 0.015)
        outcome.failed["db1"] = HostUnreachable(host: "db1", reason: "host key failed: HOST KEY MISMATCH", cause: .hostKeyMismatch)
        let figures = TopologyProbe.figures(outcome)

        let web1 = figures["web1"]
        #expect(web1?.state == .up)
        #expect(web1?.handshakeMilliseconds == 12 && web1?.authenticationMilliseconds == 20 && web1?.bootstrapMilliseconds == 250)
        #expect(web1?.rttMilliseconds == 1.5)
        #expect(web1?.agentVersion == "0.1.0" && web1?.platform == "Linux/x86_64" && web1?.hostname == "web1")

        let gw = figures["gw"]
        #expect(gw?.state == .up && gw?.agentVersion == nil && gw?.bootstrapMilliseconds == nil)
        #expect(gw?.message?.contains("no agent") == true)

        let db1 = figures["db1"]
        #expect(db1?.state == .failed && db1?.cause == .hostKeyMismatch)
        #expect(db1?.message == "host key failed: HOST KEY MISMATCH")
    }

    @Test("a failure seen from a host behind keeps the hop and cause of the hop that failed")
    func failureBehind() {
        let own = HostUnreachable(host: "bastion3", reason: "host key failed (via bastion2): HOST KEY MISMATCH",
                                  cause: .hostKeyMismatch)
        let behind = own.seen(from: "u01").seen(from: "v01")
        #expect(behind.host == "v01" && behind.hop == "bastion3" && behind.cause == .hostKeyMismatch)
        #expect(behind.reason == "through bastion3: host key failed (via bastion2): HOST KEY MISMATCH")
        #expect(Controller.ownReason(behind) == own.reason)
    }

    @Test("--probe takes the connection options of rhizome exec")
    func parsing() throws {
        let command = try TopologyCommand.parse(["-i", "inv.yml", "--probe", "-T", "3", "--via-mode", "tunnel", "-f", "4", "web"])
        #expect(command.probe && command.pattern == "web")
        #expect(command.connection.connectTimeout == 3 && command.connection.viaMode == .tunnel && command.connection.forks == 4)
    }

    @Test("pings: a silent agent fails on its own; the ones behind a relay whose link was lost are behind it")
    func pingsSettle() {
        func handle(_ name: String, _ node: UInt32) -> AgentHandle {
            AgentHandle(host: name, node: NodeID(node),
                        hello: Hello(agentVersion: "0.1.0", imageDigest: [], pid: 1, system: "Linux", release: "6",
                                     machine: "x86_64", hostname: name, directory: "/tmp"),
                        timings: LinkTimings())
        }
        let tree: [(handle: AgentHandle, parent: NodeID)] = [
            (handle("bastion1", 1), .controller), (handle("t01", 2), NodeID(1)),
            (handle("bastion2", 3), .controller), (handle("u01", 4), NodeID(3)), (handle("u02", 5), NodeID(3)),
            (handle("web1", 6), .controller),
        ]
        let pings: [NodeID: (rtt: Double?, waited: Double)] = [
            NodeID(1): (0.002, 0.002), NodeID(2): (nil, 10),         // t01 silent for the whole timeout
            NodeID(3): (nil, 0.5), NodeID(4): (nil, 0.5), NodeID(5): (nil, 0.5),  // bastion2's link lost
            NodeID(6): (0.001, 0.001),
        ]
        var outcome = ProbeOutcome()
        Controller.settle(tree, pings: pings, timeout: 10, into: &outcome)
        #expect(Set(outcome.up.keys) == ["bastion1", "web1"])
        #expect(outcome.failed["t01"]?.cause == .timeout)
        #expect(outcome.failed["bastion2"]?.cause == .linkLost)
        #expect(outcome.failed["u01"] == nil && outcome.failed["u02"] == nil, "behind bastion2, not failures of their own")
    }
}
