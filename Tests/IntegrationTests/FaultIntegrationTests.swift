import Foundation
import Testing

/// Faults in the middle of a run: each ends within a stated bound, marks only
/// the subtree it hits UNREACHABLE with the reason, lets the rest finish, and
/// leaves no agent, task or file behind on any host at any depth.
extension LabTests {
@Suite("faults during a run", .serialized)
struct FaultIntegrationTests {
    let tree = Lab.topology("tree")

    init() throws {
        try Lab.ensureUp("tree")
    }

    /// A run in the background, its output read at the end.
    final class Run {
        let process = Process()
        let output = Pipe()
        private(set) var text = ""

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: Lab.rhizomePath)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["RHIZOME_AGENT"] = Lab.agentPath
            environment["SSH_AUTH_SOCK"] = nil
            environment["NO_COLOR"] = "1"
            process.environment = environment
            process.standardOutput = output
            process.standardError = output
            try process.run()
        }

        /// Waits (bounded) for the end; the seconds it took from `since`.
        func finish(within seconds: Double, since: Date) -> Double? {
            let reader = output.fileHandleForReading
            final class Box: @unchecked Sendable { var data = Data() }
            let box = Box()
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                box.data = reader.readDataToEndOfFile()
                done.signal()
            }
            let ended = Lab.eventually(within: seconds) { !process.isRunning }
            let elapsed = Date().timeIntervalSince(since)
            if !ended { kill(process.processIdentifier, SIGKILL) }
            _ = done.wait(timeout: .now() + 5)
            text = String(decoding: box.data, as: UTF8.self)
            return ended ? elapsed : nil
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// A shell task that sleeps long everywhere but on `quick`, where it ends at once.
    static func task(quick: String) -> String {
        "if [ \"$(hostname)\" = \(quick) ]; then echo fine; else sleep 45; echo done > /tmp/rhizome-fault-ran; fi"
    }

    /// Every host in `hosts` runs its long task.
    func waitForTasks(on hosts: [String]) throws {
        let running = try Lab.eventually(within: 30) {
            try hosts.allSatisfy { try !Lab.processes("tree", $0, matching: "sleep 45").isEmpty }
        }
        try #require(running, "tasks did not start on \(hosts)")
    }

    /// Within 5 s nothing of ours is left on `hosts`: no agent, no task, no file.
    func expectNothingLeft(on hosts: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let clean = try Lab.eventually(within: 5) {
            try hosts.allSatisfy { host in
                try Lab.agentPids("tree", host).isEmpty && Lab.processes("tree", host, matching: "sleep 45").isEmpty
                    && Lab.processes("tree", host, matching: "rhizome-reaper").isEmpty
            }
        }
        #expect(clean, "agents or tasks left on \(hosts)", sourceLocation: sourceLocation)
        for host in hosts {
            #expect(try Lab.scratchFiles("tree", host) == [], "files left on \(host)", sourceLocation: sourceLocation)
        }
    }

    @Test("a relay killed mid-run: its subtree is UNREACHABLE at once, the tasks it and its children ran die, the rest completes",
          arguments: [("bastion1", ["bastion1", "t01", "t02"], "u01"), ("bastion3", ["bastion3", "u01", "u02"], "t01")])
    func relayKilled(relay: String, subtree: [String], bystander: String) throws {
        let run = try Run(["exec", "-i", tree, (subtree + [bystander]).joined(separator: ":"), "-m", "shell",
                           "-a", Self.task(quick: bystander)])
        try waitForTasks(on: subtree)
        let agent = try #require(try Lab.agentPids("tree", relay).first)
        kill(agent, SIGKILL)
        let killed = Date()
        let took = run.finish(within: 10, since: killed)
        print("[figure] \(relay) killed: run over \(took.map { String(format: "%.2f", $0) } ?? "-") s later")
        #expect(took != nil && took! < 3, "the run took \(took.map { "\($0) s" } ?? "too long") after the kill")
        #expect(run.process.terminationStatus == 4)
        for host in subtree {
            #expect(run.text.contains("\(host) | UNREACHABLE!"), "\(host) in \(run.text)")
        }
        #expect(run.text.contains("link to \(relay) lost"))
        #expect(run.text.contains("\(bystander) | CHANGED | rc=0 >>\nfine"))
        try expectNothingLeft(on: subtree)
    }

    @Test("a link cut mid-transfer: the hosts behind it are UNREACHABLE within 20 s, naming the silence; the rest completes")
    func linkCut() throws {
        let source = try Lab.temporaryFile("fault-copy.bin", "")
        let random = try Lab.run("/bin/sh", ["-c", "head -c 200000000 /dev/urandom > '\(source)'"])
        try #require(random.status == 0)
        let behind = ["bastion3", "u01", "u02", "u03", "u04"]
        let run = try Run(["exec", "-i", tree, (behind + ["t01"]).joined(separator: ":"), "-m", "copy",
                           "-a", "src=\(source) dest=/tmp/rhizome-fault-copy.bin"])
        // Cut bastion2's link once the copy is under way behind it.
        let underway = try Lab.eventually(within: 30) {
            try behind.contains { try Lab.scratchFiles("tree", $0).contains { $0.hasSuffix(".tmp") } }
        }
        try #require(underway, "the copy did not start")
        let iface = try Lab.run(Lab.root.appendingPathComponent("topology/lab").path, ["iface", tree, "bastion2"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!iface.isEmpty)
        #expect(try Lab.run("/usr/sbin/ip", ["link", "set", iface, "down"]).status == 0)
        defer {
            // Taking a link down drops the routes through it: the lab puts them back.
            _ = try? Lab.run("/usr/sbin/ip", ["link", "set", iface, "up"])
            _ = try? Lab.run(Lab.root.appendingPathComponent("topology/lab").path, ["up", tree])
        }
        let cut = Date()
        let took = run.finish(within: 40, since: cut)
        print("[figure] bastion2 link cut: hosts behind reported \(took.map { String(format: "%.2f", $0) } ?? "-") s later")
        #expect(took != nil && took! < 20, "reported \(took.map { "\($0) s" } ?? "never") after the cut")
        #expect(run.process.terminationStatus == 4)
        for host in behind {
            #expect(run.text.contains("\(host) | UNREACHABLE!"), "\(host) in \(run.text)")
        }
        #expect(run.text.contains("no word from bastion2"), "\(run.text)")
        #expect(run.text.contains("t01 | CHANGED"), "\(run.text)")
        // bastion2 leaves on its own once its parent is silent as long, and the
        // agents behind it with it: the link can stay down.
        try expectNothingLeft(on: ["bastion2"] + behind)
        _ = try? Lab.exec("tree", "t01", ["rm", "-f", "/tmp/rhizome-fault-copy.bin"])
    }

    @Test("a target that stops answering (SIGSTOP) is UNREACHABLE within 20 s, naming the silence; once it runs again it leaves")
    func targetStopped() throws {
        let run = try Run(["exec", "-i", tree, "t01:u01", "-m", "shell", "-a", Self.task(quick: "u01")])
        try waitForTasks(on: ["t01"])
        let agent = try #require(try Lab.agentPids("tree", "t01").first)
        kill(agent, SIGSTOP)
        let stopped = Date()
        let took = run.finish(within: 40, since: stopped)
        print("[figure] t01 stopped: reported \(took.map { String(format: "%.2f", $0) } ?? "-") s later")
        kill(agent, SIGCONT)
        #expect(took != nil && took! < 20, "reported \(took.map { "\($0) s" } ?? "never") after the stop")
        #expect(run.text.contains("t01 | UNREACHABLE!"), "\(run.text)")
        #expect(run.text.contains("no word from t01"), "\(run.text)")
        #expect(run.text.contains("u01 | CHANGED | rc=0 >>\nfine"))
        // Woken, the agent finds its link gone and leaves with its task.
        try expectNothingLeft(on: ["t01"])
    }

    @Test("SIGKILL of the controller: every agent and task at every depth is gone within 5 s")
    func controllerKilled() throws {
        let hosts = ["bastion1", "t01", "bastion2", "bastion3", "u01"]
        let run = try Run(["exec", "-i", tree, hosts.joined(separator: ":"), "-m", "shell", "-a", Self.task(quick: "nobody")])
        try waitForTasks(on: hosts)
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.finish(within: 5, since: Date())
        try expectNothingLeft(on: hosts)
    }

    @Test("SIGINT on the controller cancels every task down the tree and prints what ran, then ends by SIGINT")
    func interrupted() throws {
        let hosts = ["bastion1", "t01", "bastion3", "u01"]
        let run = try Run(["exec", "-i", tree, hosts.joined(separator: ":"), "-m", "shell",
                           "-a", "echo started; " + Self.task(quick: "nobody")])
        try waitForTasks(on: hosts)
        kill(run.process.processIdentifier, SIGINT)
        let took = run.finish(within: 10, since: Date())
        print("[figure] SIGINT: run over \(took.map { String(format: "%.2f", $0) } ?? "-") s later")
        #expect(took != nil && took! < 2, "ended \(took.map { "\($0) s" } ?? "never") after SIGINT")
        #expect(run.process.terminationReason == .uncaughtSignal && run.process.terminationStatus == SIGINT)
        for host in hosts {
            #expect(run.text.contains("\(host) | FAILED | rc=-9 >>\nstarted\ninterrupted by SIGINT on the controller"),
                    "\(host) in \(run.text)")
        }
        #expect(run.text.contains("[ERROR]: interrupted by SIGINT: 4 of 4 hosts ran the task"))
        try expectNothingLeft(on: hosts)
    }
}
}
