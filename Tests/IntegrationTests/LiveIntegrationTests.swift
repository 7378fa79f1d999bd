import Foundation
import Testing

/// `rhizome exec --live` on a terminal (a pty from script(1)) and without one.
extension LabTests {
@Suite("exec --live on the tree lab", .serialized)
struct LiveIntegrationTests {
    let tree = Lab.topology("tree")

    init() throws {
        try Lab.ensureUp("tree")
    }

    /// Runs the CLI on a pseudo-terminal; returns its exit status and everything it wrote there.
    func onTerminal(_ arguments: [String]) throws -> (status: Int32, screen: String) {
        let quoted = ([Lab.rhizomePath] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var environment = ProcessInfo.processInfo.environment
        environment["RHIZOME_AGENT"] = Lab.agentPath
        environment["SSH_AUTH_SOCK"] = nil
        environment["NO_COLOR"] = "1"
        environment["TERM"] = "xterm"
        let result = try Lab.run("/usr/bin/script", ["-qec", quoted.joined(separator: " "), "/dev/null"], environment: environment)
        return (result.status, result.stdout.replacingOccurrences(of: "\r", with: ""))
    }

    /// The last frame drawn: what follows the last cursor move up, without escape sequences.
    func lastFrame(_ screen: String) -> [String] {
        let start = screen.range(of: "\u{1B}[", options: .backwards, range: screen.startIndex ..< (screen.range(of: "done in", options: .backwards)?.lowerBound ?? screen.endIndex))
        let tail = start.map { String(screen[$0.lowerBound...]) } ?? screen
        return tail.replacingOccurrences(of: #"\x1B\[[0-9;?]*[A-Za-z]"#, with: "", options: .regularExpression)
            .split(separator: "\n").map(String.init)
    }

    @Test("on a terminal: the tree is drawn and redrawn in place, results print above it, the cursor comes back")
    func drawsOnTerminal() throws {
        let (status, screen) = try onTerminal(["exec", "-i", tree, "branch2", "-a", "hostname", "--live"])
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("\u{1B}[?25l"))
        #expect(screen.hasSuffix("\u{1B}[?25h"), "\(screen.suffix(200).debugDescription)")
        for host in ["u01", "u02", "u03", "u04"] {
            #expect(screen.contains("\(host) | CHANGED | rc=0 >>\n\(host)\n") || screen.contains("\(host) | CHANGED | rc=0 >>\n\u{1B}[2K\(host)\n"),
                    "\(host)")
        }
        let frame = lastFrame(screen)
        #expect(frame.first?.contains("command on 4 hosts  done in") == true, "\(frame)")
        #expect(frame.first?.contains("4 changed") == true, "\(frame)")
        #expect(frame.contains { $0.contains("controller  6/6 links up") }, "\(frame)")
        #expect(frame.contains { $0.contains("bastion3") && $0.contains("up  setup") }, "\(frame)")
        for host in ["u01", "u02", "u03", "u04"] {
            #expect(frame.contains { $0.contains("\(host)  CHANGED") }, "\(host): \(frame)")
        }
    }

    @Test("a dead hop shows where it failed and what sits behind it")
    func deadHop() throws {
        let inventory = try Lab.temporaryFile("live-dead.yml", try String(contentsOfFile: tree, encoding: .utf8) + """
                dead:
                  hosts:
                    ghost: {ansible_host: 198.18.2.250, via: bastion1}
                    v01: {ansible_host: 198.18.2.251, via: ghost}
            """)
        let (status, screen) = try onTerminal(["exec", "-i", inventory, "dead:branch1", "-a", "true", "--live"])
        #expect(status == 4)
        let frame = lastFrame(screen)
        #expect(frame.contains { $0.contains("ghost") && $0.contains("FAILED: no route") }, "\(frame)")
        #expect(frame.contains { $0.contains("v01") && $0.contains("UNREACHABLE behind ghost") }, "\(frame)")
        #expect(frame.first?.contains("8 changed  2 unreachable") == true, "\(frame)")
        #expect(frame.contains { $0.contains("t01  CHANGED") }, "\(frame)")
    }

    @Test("topology --probe --live: links drawn as they come up, then the result in the frame's place")
    func probeLive() throws {
        let (status, screen) = try onTerminal(["topology", "-i", tree, "branch2", "--probe", "--live"])
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("probe of 4 hosts") && screen.contains("links up"))
        // After the frame is taken off (cursor shown again), the full tree follows.
        let result = try #require(screen.components(separatedBy: "\u{1B}[?25h").last)
        #expect(!result.contains("probe of 4 hosts"))
        #expect(result.contains("u[01:04]") && result.contains("rtt") && result.contains("agent 0.1.0"), "\(result)")
        let misuse = try Lab.rhizome(["topology", "-i", tree, "--live"])
        #expect(misuse.status == 64 && misuse.stderr.contains("use it with --probe"))
    }

    @Test("without a terminal: a warning, and the usual output")
    func withoutTerminal() throws {
        let result = try Lab.rhizome(["exec", "-i", tree, "branch2", "-a", "hostname", "--live"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("--live needs a terminal"))
        #expect(result.stdout.contains("u01 | CHANGED | rc=0 >>"))
        #expect(!result.stdout.contains("\u{1B}["))
    }

    @Test("Ctrl-C during a live run: tasks are cancelled and reported, the cursor comes back and the process still ends by SIGINT; no agent stays")
    func interrupted() throws {
        // A pseudo-terminal of our own, so that the signal goes to rhizome itself.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        // posix_openpt(3) and friends are not visible from Swift: their ioctls, from <asm-generic/ioctls.h>.
        let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430
        var unlock: CInt = 0
        var number: CUnsignedInt = 0
        try #require(ioctl(master, TIOCSPTLCK, &unlock) == 0 && ioctl(master, TIOCGPTN, &number) == 0)
        let slavePath = "/dev/pts/\(number)"
        let slave = try #require(FileHandle(forUpdatingAtPath: slavePath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Lab.rhizomePath)
        process.arguments = ["exec", "-i", tree, "branch1", "-m", "shell", "-a", "sleep 20", "--live"]
        var environment = ProcessInfo.processInfo.environment
        environment["RHIZOME_AGENT"] = Lab.agentPath
        environment["SSH_AUTH_SOCK"] = nil
        environment["NO_COLOR"] = "1"
        environment["TERM"] = "xterm"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = slave
        process.standardError = slave
        try process.run()
        try slave.close()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Read the terminal until every task runs (bounded), then interrupt.
        var screen = [UInt8]()
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
        func drain() {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(master, &buffer, buffer.count)
                guard count > 0 else { return }
                screen += buffer[0 ..< count]
            }
        }
        let running = Lab.eventually(within: 20) {
            drain()
            return String(decoding: screen, as: UTF8.self).contains("8 running")
        }
        #expect(running, "\(String(decoding: screen, as: UTF8.self).suffix(600))")
        kill(process.processIdentifier, SIGINT)
        let ended = Lab.eventually(within: 10) { !process.isRunning }
        #expect(ended)
        drain()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT,
                "\(process.terminationReason.rawValue) \(process.terminationStatus)")
        let text = String(decoding: screen, as: UTF8.self)
        #expect(text.contains("\u{1B}[?25h"), "the cursor is shown again")
        // The tasks were cancelled, and what ran is printed before the end.
        #expect(text.contains("t01 | FAILED | rc=-9 >>"), "\(text.suffix(600))")
        #expect(text.contains("[ERROR]: interrupted by SIGINT"))
        // The agents notice their links close and leave.
        for host in ["bastion1", "t01", "t08"] {
            #expect(try Lab.eventually(within: 10) { try Lab.agentPids("tree", host).isEmpty }, "\(host)")
        }
    }
}
}
