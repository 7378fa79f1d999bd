import Foundation
import RhizomeIO
import RhizomeMesh
import RhizomeWire
import Testing

/// The agent run as a local subprocess (`ansible_connection: local`): no SSH, no lab.
@Suite("local agent", .enabled(if: FileManager.default.isExecutableFile(atPath: Lab.agentPath), "needs `make build`"))
struct LocalAgentTests {
    @Test("an agent that hears nothing from its parent for four keepalive intervals exits")
    func silentParent() throws {
        let agent = try LocalAgent.start(executable: Lab.agentPath, welcome: Welcome(node: NodeID(1), parent: .controller,
                                                                                      keepaliveInterval: 1),
                                         environment: ["PATH=/usr/bin:/bin"])
        let start = Date()
        var ended: ChildProcess.Termination?
        while ended == nil && Date().timeIntervalSince(start) < 15 {
            ended = agent.process.poll()
            usleep(100_000)
        }
        #expect(ended == .exited(0), "the agent did not leave on its own")
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 3, "left after \(waited) s, before four silent intervals")
    }

    @Test("an inventory host with ansible_connection: local runs modules without SSH")
    func localConnection() throws {
        let inventory = try Lab.temporaryFile("local.yml", "all:\n  hosts:\n    me:\n      ansible_connection: local\n")
        let result = try Lab.rhizome(["exec", "-i", inventory, "me", "-m", "shell", "-a", "echo $((6 * 7))"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "me | CHANGED | rc=0 >>\n42\n")
    }
}
