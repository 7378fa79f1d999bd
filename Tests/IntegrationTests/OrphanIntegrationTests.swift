import Foundation
import Testing

/// What happens on targets when the controller dies.
extension LabTests {
@Suite("agents after the controller dies", .serialized)
struct OrphanIntegrationTests {
    init() throws {
        try Lab.ensureUp("demo")
    }

    @Test("after SIGKILL of the controller no agent or task remains on any target within 5 s")
    func noOrphansAfterSIGKILL() throws {
        let hosts = ["web1", "web2", "db1", "db2", "edge", "app1", "app2"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Lab.rhizomePath)
        process.arguments = ["exec", "-i", Lab.topology("demo"), "all", "-m", "shell", "-a", "sleep 300 & sleep 300"]
        var environment = ProcessInfo.processInfo.environment
        environment["RHIZOME_AGENT"] = Lab.agentPath
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Whatever happens below, the controller does not outlive the test.
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        // Wait (bounded) until every host runs an agent and its task.
        var ready = false
        for _ in 0 ..< 150 {
            let agents = try hosts.map { try Lab.agentPids("demo", $0).count }
            let sleeps = try hosts.map { try Lab.processes("demo", $0, matching: "sleep 300").count }
            // Per host: the agent, and the task's sh with its two sleeps.
            if agents.allSatisfy({ $0 == 1 }) && sleeps.allSatisfy({ $0 == 3 }) {
                ready = true
                break
            }
            usleep(100_000)
        }
        try #require(ready, "agents did not come up")

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killedAt = Date()

        var remaining: [String] = hosts
        while !remaining.isEmpty && Date().timeIntervalSince(killedAt) < 5 {
            remaining = try remaining.filter { host in
                let agents = try Lab.agentPids("demo", host)
                let sleeps = try Lab.processes("demo", host, matching: "sleep 300")
                return !agents.isEmpty || !sleeps.isEmpty
            }
            if !remaining.isEmpty { usleep(100_000) }
        }
        #expect(remaining.isEmpty, "processes left on \(remaining) 5 s after the controller died")
        for host in hosts {
            let files = try Lab.scratchFiles("demo", host)
            #expect(files == [], "left on \(host): \(files)")
        }
    }
}
}
