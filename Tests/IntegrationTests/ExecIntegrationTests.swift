import Foundation
import Testing

/// `rhizome exec` against real sshd servers in the demo lab.
extension LabTests {
@Suite("exec on the demo lab", .serialized)
struct ExecIntegrationTests {
    let demo = Lab.topology("demo")
    let hosts = ["web1", "web2", "db1", "db2", "edge", "app1", "app2"]

    init() throws {
        try Lab.ensureUp("demo")
    }

    @Test("a command runs on every host, in parallel, through one agent each")
    func commandOnEveryHost() throws {
        let result = try Lab.rhizome(["exec", "-i", demo, "all", "-a", "sh -c 'echo $(hostname) $$ >&1; sleep 1'",
                                      "-m", "command"])
        #expect(result.status == 0, "\(result.stderr)")
        for host in hosts {
            #expect(result.stdout.contains("\(host) | CHANGED | rc=0 >>\n\(host) "), "\(result.stdout)")
        }
    }

    @Test("tasks on different hosts overlap in time")
    func tasksRunConcurrently() throws {
        // Each host records when its `sleep` started and ended; with 4 forks
        // all four intervals must overlap (a serial run could not).
        let result = try Lab.rhizome(["exec", "-i", demo, "web:db", "-m", "shell", "-f", "4",
                                      "-a", "date +%s.%N; sleep 1; date +%s.%N"])
        #expect(result.status == 0, "\(result.stderr)")
        let intervals = result.stdout.split(separator: "\n").compactMap { Double($0) }
        try #require(intervals.count == 8, "\(result.stdout)")
        let starts = stride(from: 0, to: 8, by: 2).map { intervals[$0] }
        let ends = stride(from: 1, to: 8, by: 2).map { intervals[$0] }
        #expect(starts.max()! < ends.min()!, "intervals do not overlap: \(starts) \(ends)")
    }

    @Test("ping answers pong on every host")
    func ping() throws {
        let result = try Lab.rhizome(["exec", "-i", demo, "all", "-m", "ping"])
        #expect(result.status == 0, "\(result.stderr)")
        for host in hosts {
            #expect(result.stdout.contains("\(host) | SUCCESS => {\n    \"changed\": false,\n    \"ping\": \"pong\"\n}"))
        }
    }

    @Test("junk printed by rc files before the agent starts is skipped")
    func rcJunkIsSkipped() throws {
        // db2's .bashrc and .profile print junk (lab_rc_junk).
        let junk = try Lab.exec("demo", "db2", ["cat", "/root/.bashrc"])
        #expect(junk.stdout.contains("echo"), "db2 should have a noisy .bashrc")
        let result = try Lab.rhizome(["exec", "-i", demo, "db2", "-a", "echo clean"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "db2 | CHANGED | rc=0 >>\nclean\n")
    }

    @Test("a failing command gives FAILED with its rc and stderr, and exit status 2")
    func failingCommand() throws {
        let result = try Lab.rhizome(["exec", "-i", demo, "web1", "-m", "shell", "-a", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 2)
        #expect(result.stdout == "web1 | FAILED | rc=3 >>\nout\nerr\n")
    }

    @Test("an unreachable host is UNREACHABLE while the others succeed; exit status 4")
    func unreachableHost() throws {
        let inventory = try Lab.temporaryFile("unreachable.yml", """
            all:
              vars:
                ansible_user: root
                ansible_ssh_private_key_file: \(Lab.clientKey)
                rhizome_known_hosts: \(Lab.knownHosts)
              hosts:
                web1: { ansible_host: 198.18.1.2 }
                ghost: { ansible_host: 198.18.1.99 }
                web2: { ansible_host: 198.18.1.3 }
            """)
        let result = try Lab.rhizome(["exec", "-i", inventory, "all", "-a", "true"])
        #expect(result.status == 4)
        #expect(result.stdout.contains("web1 | CHANGED | rc=0 >>"))
        #expect(result.stdout.contains("web2 | CHANGED | rc=0 >>"))
        #expect(result.stdout.contains("ghost | UNREACHABLE! => {"))
        #expect(result.stdout.contains("connect failed: No route to host"), "\(result.stdout)")
    }

    @Test("a host key mismatch is refused, naming the host and both fingerprints")
    func hostKeyMismatch() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rhizome-hk-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keygen = try Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/impostor"])
        try #require(keygen.status == 0)
        let impostor = try String(contentsOfFile: directory + "/impostor.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = directory + "/known_hosts"
        try "198.18.1.2 \(impostor)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let expected = try Lab.run("/usr/bin/ssh-keygen", ["-l", "-f", directory + "/impostor.pub"])
        let expectedFingerprint = String(expected.stdout.split(separator: " ")[1])
        let real = try Lab.run("/usr/bin/ssh-keygen", ["-F", "198.18.1.2", "-l", "-f", Lab.knownHosts])
        let realFingerprint = try #require(real.stdout.split(separator: "\n").first { !$0.hasPrefix("#") }?
            .split(separator: " ").dropFirst(2).first.map(String.init))

        let result = try Lab.rhizome(["exec", "-i", "198.18.1.2,", "all", "-u", "root", "--private-key", Lab.clientKey,
                                      "--known-hosts", knownHosts, "-a", "true"])
        #expect(result.status == 4)
        #expect(result.stdout.contains("HOST KEY MISMATCH for 198.18.1.2"), "\(result.stdout)")
        #expect(result.stdout.contains(expectedFingerprint))
        #expect(result.stdout.contains(realFingerprint))
        // Nothing ran: no agent started on the host (agents of earlier tests
        // may still be on their way out).
        #expect(try Lab.eventually { try Lab.agentPids("demo", "web1").isEmpty })
        #expect(!result.stderr.contains("bootstrap"))
    }

    @Test("an unknown host is refused under strict and remembered under accept-new")
    func unknownHostPolicies() throws {
        let knownHosts = try Lab.temporaryFile("empty_known_hosts", "")
        let strict = try Lab.rhizome(["exec", "-i", "198.18.1.3,", "all", "-u", "root", "--private-key", Lab.clientKey,
                                      "--known-hosts", knownHosts, "-a", "true"])
        #expect(strict.status == 4)
        #expect(strict.stdout.contains("is not in \(knownHosts) (policy strict)"), "\(strict.stdout)")

        let acceptNew = try Lab.rhizome(["exec", "-i", "198.18.1.3,", "all", "-u", "root", "--private-key", Lab.clientKey,
                                         "--known-hosts", knownHosts, "--host-key-checking", "accept-new", "-a", "true"])
        #expect(acceptNew.status == 0, "\(acceptNew.stdout)\(acceptNew.stderr)")
        let recorded = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(recorded.hasPrefix("198.18.1.3 ssh-ed25519 "))

        // The recorded line now satisfies strict checking.
        let again = try Lab.rhizome(["exec", "-i", "198.18.1.3,", "all", "-u", "root", "--private-key", Lab.clientKey,
                                     "--known-hosts", knownHosts, "-a", "true"])
        #expect(again.status == 0, "\(again.stdout)")
    }

    @Test("host key checking off works but warns loudly")
    func hostKeyCheckingOff() throws {
        let knownHosts = try Lab.temporaryFile("off_known_hosts", "")
        let result = try Lab.rhizome(["exec", "-i", "198.18.1.4,", "all", "-u", "root", "--private-key", Lab.clientKey,
                                      "--known-hosts", knownHosts, "--host-key-checking", "off", "-a", "true"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("WARNING: host key checking is OFF"), "\(result.stderr)")
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).isEmpty, "off must not record keys")
    }

    @Test("a key the server does not accept gives a clear authentication error")
    func wrongKey() throws {
        let result = try Lab.rhizome(["exec", "-i", "198.18.1.2,", "all", "-u", "root", "--private-key", Lab.wrongKey,
                                      "--known-hosts", Lab.knownHosts, "-a", "true"])
        #expect(result.status == 4)
        #expect(result.stdout.contains("authentication failed: user root: tried \(Lab.wrongKey) (refused)"), "\(result.stdout)")
        #expect(result.stdout.contains("server allows publickey"))
    }

    @Test("nothing of ours stays in the host's scratch places, even while the agent runs")
    func nothingLeftOnTarget() throws {
        // While a task runs: the agent already removed its own file.
        let during = try Lab.rhizome(["exec", "-i", demo, "web2", "-m", "shell",
                                      "-a", "find /tmp /dev/shm /var/tmp /root -mindepth 1 -name '*rhizome*' 2>/dev/null; true"])
        #expect(during.status == 0)
        #expect(during.stdout == "web2 | CHANGED | rc=0 >>\n", "files present during the run: \(during.stdout)")
        // After the run.
        #expect(try Lab.scratchFiles("demo", "web2") == [])
    }

    @Test("large output streams back whole; the output cap cuts it and says so")
    func largeOutput() throws {
        let full = try Lab.rhizome(["exec", "-i", demo, "web1", "-m", "shell", "-a", "head -c 3000000 /dev/zero | tr '\\0' x"])
        #expect(full.status == 0)
        let body = full.stdout.split(separator: "\n").dropFirst().first ?? ""
        #expect(body.count == 3_000_000)
        #expect(body.allSatisfy { $0 == "x" })

        let capped = try Lab.rhizome(["exec", "-i", demo, "web1", "-m", "shell", "--output-cap", "1000",
                                      "-a", "head -c 3000000 /dev/zero | tr '\\0' x"])
        #expect(capped.status == 0)
        let lines = capped.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].count == 1000)
        #expect(lines[2] == "[output cut at the --output-cap limit; stdout: 2999000 bytes dropped]")
    }

    @Test("chdir, stdin, environment and task timeout reach the module")
    func moduleOptions() throws {
        let chdir = try Lab.rhizome(["exec", "-i", demo, "web1", "-a", "chdir=/proc pwd"])
        #expect(chdir.stdout == "web1 | CHANGED | rc=0 >>\n/proc\n", "\(chdir.stdout)")

        let stdin = try Lab.rhizome(["exec", "-i", demo, "web1", "-a", "stdin=hello cat"])
        #expect(stdin.stdout == "web1 | CHANGED | rc=0 >>\nhello\n", "\(stdin.stdout)")

        let env = try Lab.rhizome(["exec", "-i", demo, "web1", "-m", "shell", "--env", "GREETING=hi there", "-a", "echo $GREETING"])
        #expect(env.stdout == "web1 | CHANGED | rc=0 >>\nhi there\n", "\(env.stdout)")

        let timeout = try Lab.rhizome(["exec", "-i", demo, "web1", "-m", "shell", "--task-timeout", "1",
                                       "-a", "sleep 30 & sleep 30"])
        #expect(timeout.status == 2)
        #expect(timeout.stdout.contains("timed out after 1 s; process group killed"), "\(timeout.stdout)")
        // SIGKILL is delivered at once but processes take a moment to go.
        #expect(try Lab.eventually { try Lab.processes("demo", "web1", matching: "sleep 30").isEmpty },
                "sleep processes survived the timeout")
    }
}
}

extension LabTests {
@Suite("exec: background processes", .serialized)
struct BackgroundProcessTests {
    init() throws {
        try Lab.ensureUp("demo")
    }

    @Test("a command that leaves a background process holding its output still returns")
    func backgroundProcessDoesNotHang() throws {
        let start = Date()
        let result = try Lab.rhizome(["exec", "-i", Lab.topology("demo"), "db1", "-m", "shell",
                                      "-a", "echo started; sleep 60 & echo $! > /tmp/bg.pid"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "db1 | CHANGED | rc=0 >>\nstarted\n")
        #expect(Date().timeIntervalSince(start) < 30, "the task waited for the background process")
        // As with Ansible, what the command left running keeps running; clean it up.
        _ = try Lab.exec("demo", "db1", ["sh", "-c", "kill $(cat /tmp/bg.pid); rm -f /tmp/bg.pid"])
    }
}
}
