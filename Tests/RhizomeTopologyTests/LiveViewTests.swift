import Foundation
import Synchronization
import Testing
import RhizomeInventory
@testable import RhizomeTopology

/// A clock the tests move by hand.
final class TestClock: Sendable {
    private let seconds = Mutex(1000.0)
    var now: Double { seconds.withLock { $0 } }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

/// What the live view wrote, and the size it is told the terminal has.
final class TestTerminal: Sendable {
    private let written = Mutex((all: "", new: ""))
    private let current: Mutex<TerminalSize>

    init(_ size: TerminalSize = TerminalSize(rows: 24, columns: 100)) { current = Mutex(size) }

    var size: TerminalSize {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    func write(_ text: String) {
        written.withLock {
            $0.all += text
            $0.new += text
        }
    }

    /// Everything written.
    var all: String { written.withLock { $0.all } }

    /// What was written since the last call.
    func take() -> String { written.withLock { text in defer { text.new = "" }; return text.new } }
}

/// Plays ANSI output back on a grid of cells: enough of a terminal to see what a person
/// would. A newline also returns the carriage, as a terminal's line discipline does.
struct ScreenModel {
    var columns: Int
    var rows: [[Character]] = [[]]
    var row = 0
    var column = 0
    var cursorShown = true
    /// Set when something was written past the last column (the terminal would wrap).
    var overflowed = false

    init(columns: Int) { self.columns = columns }

    mutating func play(_ text: String) {
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            switch c {
            case "\u{1B}":
                guard characters.popFirst() == "[" else { continue }
                var parameters = ""
                while let p = characters.popFirst() {
                    guard let ascii = p.asciiValue, !(0x40...0x7E).contains(ascii) else {
                        control(p, parameters)
                        break
                    }
                    parameters.append(p)
                }
            case "\r":
                column = 0
            case "\n":
                row += 1
                column = 0
                if row == rows.count { rows.append([]) }
            default:
                if column >= columns { overflowed = true }
                while rows[row].count < column { rows[row].append(" ") }
                if column < rows[row].count { rows[row][column] = c } else { rows[row].append(c) }
                column += 1
            }
        }
    }

    private mutating func control(_ final: Character, _ parameters: String) {
        switch (final, parameters) {
        case ("A", _):
            row = max(0, row - (Int(parameters) ?? 1))
        case ("J", ""), ("J", "0"):
            rows[row] = Array(rows[row].prefix(column))
            rows.removeSubrange((row + 1)...)
        case ("K", "2"):
            rows[row] = []
        case ("l", "?25"):
            cursorShown = false
        case ("h", "?25"):
            cursorShown = true
        default:
            break
        }
    }

    /// The lines on screen, without the empty one the cursor sits on at the end.
    var lines: [String] {
        var lines = rows.map { String($0) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}

enum Live {
    static func state(_ topology: String, clock: TestClock = TestClock()) throws -> LiveState {
        LiveState(graph: try TopologyGraph(inventory: Fixtures.inventory(topology)), clock: { clock.now })
    }

    static func frame(_ state: LiveState, rows: Int = 24, columns: Int = 100, colour: Bool = false) -> [String] {
        LiveFrame(state.snapshot(), size: TerminalSize(rows: rows, columns: columns), colour: colour).lines
    }

    /// Hosts of the graph (not the controller, not pure relays).
    static func hosts(_ state: LiveState) -> [String] {
        state.graph.nodes.filter { $0.role == .target || $0.role == .relayTarget }.map(\.name)
    }

    static func node(_ state: LiveState, _ name: String) -> LiveNodeState {
        let id = state.graph.nodes.first { $0.name == name }!.id
        return state.snapshot().nodes[id]
    }
}

@Suite struct LiveStateTests {
    @Test func linksComeUpWithTheHopsInFront() throws {
        let clock = TestClock()
        let state = try Live.state("tree", clock: clock)
        state.send(.connecting("u01"))
        // A link being set up behind bastion3 means bastion2 and bastion3 are up.
        #expect(Live.node(state, "bastion2").link == .up(setupMilliseconds: nil))
        #expect(Live.node(state, "bastion3").link == .up(setupMilliseconds: nil))
        #expect(Live.node(state, "u01").link == .connecting(since: 0))
        clock.advance(0.25)
        state.send(.linkUp("u01", setupMilliseconds: 240))
        state.send(.taskStarted("u01", task: "command: uptime"))
        #expect(Live.node(state, "u01") == LiveNodeState(link: .up(setupMilliseconds: 240),
                                                           run: .running(task: "command: uptime", since: 0.25)))
        state.send(.taskFinished("u01", status: "CHANGED", milliseconds: 85))
        let counts = state.snapshot().counts
        #expect(counts["changed"] == 1 && counts["pending"] == 14 && counts.total == 15)
    }

    @Test func aFailedLinkLeavesEverythingBehindItUnreachable() throws {
        let state = try Live.state("tree")
        state.send(.taskFinished("u01", status: "SUCCESS", milliseconds: 50))
        state.send(.taskStarted("u02", task: "command: uptime"))
        state.send(.linkFailed("bastion2", reason: "link lost"))
        #expect(Live.node(state, "bastion2").link == .failed(reason: "link lost"))
        #expect(Live.node(state, "bastion3") == LiveNodeState(link: .unreachable(behind: "bastion2")))
        #expect(Live.node(state, "u02") == LiveNodeState(link: .unreachable(behind: "bastion2")))
        // A result that came back before stays.
        #expect(Live.node(state, "u01").run == .finished(status: "SUCCESS", milliseconds: 50))
        // The run reports the hosts behind as unreachable too: the hop to blame stays.
        state.send(.taskFinished("u03", status: "UNREACHABLE", milliseconds: 0))
        #expect(Live.node(state, "u03") == LiveNodeState(link: .unreachable(behind: "bastion2")))
        let counts = state.snapshot().counts
        #expect(counts["unreachable"] == 5 && counts["ok"] == 1 && counts["pending"] == 9)
        // Nothing behind bastion1 is touched.
        #expect(Live.node(state, "t01").link == .pending)
    }

    @Test func aNewPhaseSendsFinishedHostsBackToWaitingButNotFailedOnes() throws {
        let state = try Live.state("demo")
        state.send(.phase("TASK [install nginx]"))
        state.send(.taskFinished("web1", status: "ok", milliseconds: 10))
        state.send(.taskFinished("web2", status: "FAILED", milliseconds: 10))
        state.send(.linkFailed("db1", reason: "auth refused"))
        #expect(Live.node(state, "web1").run == .finished(status: "SUCCESS", milliseconds: 10))
        state.send(.phase("TASK [start nginx]"))
        #expect(state.snapshot().phase == "TASK [start nginx]")
        #expect(Live.node(state, "web1").run == nil)
        #expect(Live.node(state, "web2").run == .finished(status: "FAILED", milliseconds: 10))
        #expect(Live.node(state, "db1").link == .failed(reason: "auth refused"))
    }

    @Test func eventsThatChangeNothingLeaveTheVersion() throws {
        let state = try Live.state("demo")
        state.send(.linkUp("web1", setupMilliseconds: 120))
        let version = state.snapshot().version
        state.send(.linkUp("web1", setupMilliseconds: 120))
        state.send(.connecting("no-such-host"))
        state.send(.taskFinished("controller", status: "FAILED", milliseconds: 1))
        #expect(state.snapshot().version == version)
        state.send(.phase("command: uptime"))
        #expect(state.snapshot().version > version)
    }

    @Test func outsideTextCannotDriveTheTerminal() throws {
        let state = try Live.state("demo")
        state.send(.linkFailed("web1", reason: "refused\n\u{1B}[2J\u{1B}[31mgotcha\r"))
        state.send(.phase("TASK [\u{7}bell]"))
        #expect(Live.node(state, "web1").link == .failed(reason: "refused  [2J [31mgotcha "))
        #expect(state.snapshot().phase == "TASK [ bell]")
        for line in Live.frame(state) { #expect(!line.contains("\u{1B}") && !line.contains("\u{7}")) }
    }

    @Test func manyThreadsFeedIt() async throws {
        let state = try Live.state("synthetic")
        let hosts = Live.hosts(state)
        await withTaskGroup(of: Void.self) { group in
            for slice in 0..<8 {
                group.addTask {
                    for host in hosts.enumerated().filter({ $0.offset % 8 == slice }).map(\.element) {
                        state.send(.connecting(host))
                        state.send(.linkUp(host, setupMilliseconds: 100))
                        state.send(.taskStarted(host, task: "command: true"))
                        state.send(.taskFinished(host, status: "SUCCESS", milliseconds: 5))
                    }
                }
            }
        }
        #expect(state.snapshot().counts["ok"] == hosts.count)
    }
}

@Suite struct LiveTextTests {
    @Test(arguments: [
        ("├── t01", 7), ("│   └── ", 8), ("数据库", 6), ("e\u{301}", 1), ("\u{1B}[1;36mrunning\u{1B}[0m", 7),
        ("🚀 go", 5), ("⋯ 8 hosts", 9), ("", 0),
    ])
    func width(_ text: String, _ columns: Int) {
        #expect(LiveText.width(text) == columns)
    }

    @Test func cutsByColumnsAndResetsColour() {
        #expect(LiveText.cut("├── bastion1", to: 8) == "├── bas…")
        #expect(LiveText.cut("├── bastion1", to: 12) == "├── bastion1")
        #expect(LiveText.cut("数据库x", to: 4) == "数…")
        #expect(LiveText.cut("abc", to: 0) == "")
        let painted = LiveText.cut("\u{1B}[32mSUCCESS\u{1B}[0m 120 ms", to: 4)
        #expect(painted == "\u{1B}[32mSUC…\u{1B}[0m")
        #expect(LiveText.width(painted) == 4)
    }
}

@Suite struct LiveFrameTests {
    @Test func demoMidRun() throws {
        let clock = TestClock()
        let state = try Live.state("demo", clock: clock)
        state.send(.phase("command: uptime"))
        state.send(.connecting("web1"))
        state.send(.connecting("edge"))
        clock.advance(0.3)
        state.send(.linkUp("web1", setupMilliseconds: 290))
        state.send(.taskStarted("web1", task: "command: uptime"))
        state.send(.linkFailed("edge", reason: "host key mismatch"))
        state.send(.connecting("db2"))
        state.send(.taskFinished("web2", status: "CHANGED", milliseconds: 1250))
        clock.advance(2.1)
        #expect(Live.frame(state) == [
            "command: uptime  2s  0 ok  1 changed  0 failed  3 unreachable  1 running  1 connecting  1 pending",
            "controller  2/7 links up  1 connecting  1 failed",
            "├── web1  running 2s  setup 290 ms",
            "├── web2  CHANGED 1.25 s",
            "├── db1  pending",
            "├── db2  connecting 2s",
            "└── edge  relay+target  FAILED: host key mismatch",
            "    ├── app1  UNREACHABLE behind edge",
            "    └── app2  UNREACHABLE behind edge",
        ])
    }

    @Test(arguments: [12, 30, 57, 80], [false, true])
    func linesFitTheWidth(_ columns: Int, _ colour: Bool) throws {
        let state = try Live.state("tree")
        state.send(.phase("TASK [make sure the reverse proxy configuration is in place]"))
        state.send(.linkUp("bastion1", setupMilliseconds: 310))
        state.send(.taskStarted("t01", task: "TASK [another task with a long name]"))
        state.send(.linkFailed("bastion2", reason: "auth refused"))
        let lines = Live.frame(state, columns: columns, colour: colour)
        for line in lines { #expect(LiveText.width(line) <= columns, "\(line)") }
        #expect(lines.contains { $0.contains("…") })
        // Box drawing counts one column a character: a line cut short is exactly as wide as the terminal.
        #expect(lines.filter { $0.contains("…") }.allSatisfy { LiveText.width($0) == columns })
    }

    @Test func narrowLinesDropDetailsBeforeState() throws {
        let state = try Live.state("tree")
        state.send(.linkUp("bastion1", setupMilliseconds: 310))
        state.send(.taskFinished("bastion1", status: "SUCCESS", milliseconds: 117))
        #expect(Live.frame(state, columns: 100)[2] == "├── bastion1  relay+target  SUCCESS 117 ms  setup 310 ms")
        // Role and set-up time go before the status is cut.
        #expect(Live.frame(state, columns: 30)[2] == "├── bastion1  SUCCESS 117 ms")
    }

    @Test func finishedSiblingsCollapseFirst() throws {
        let state = try Live.state("tree")
        for n in 1...8 { state.send(.taskFinished("t0\(n)", status: "SUCCESS", milliseconds: Double(100 + n))) }
        state.send(.taskStarted("u02", task: "command: uptime"))
        // 2 + 15 lines do not fit in 15 rows; one range line for t01…t08 is enough.
        let lines = Live.frame(state, rows: 15)
        #expect(lines.count <= 14)
        #expect(lines.contains("│   └── t[01:08]  8 × SUCCESS  101 ms–108 ms"))
        #expect(lines.contains { $0.hasSuffix("├── u01  pending") })
        // No phase was announced: the task is shown.
        #expect(lines.contains { $0.hasSuffix("├── u02  running 0s  command: uptime") })
    }

    @Test func unreachableBelowAFailedRelay() throws {
        let state = try Live.state("tree")
        state.send(.linkFailed("bastion2", reason: "auth refused"))
        let lines = Live.frame(state)
        #expect(lines.contains("└── bastion2  relay+target  FAILED: auth refused"))
        #expect(lines.contains("    └── bastion3  relay+target  UNREACHABLE behind bastion2"))
        #expect(lines.contains("        ├── u01  UNREACHABLE behind bastion2"))
        // Short of rows, the hosts behind it are one range.
        #expect(Live.frame(state, rows: 12).contains("        └── u[01:04]  4 × UNREACHABLE behind bastion2"))
    }

    @Test func fiveHundredHostsInTwentyFourRows() throws {
        let clock = TestClock()
        let state = try Live.state("synthetic", clock: clock)
        let hosts = Live.hosts(state)
        #expect(hosts.count == 505)
        state.send(.phase("command: uptime"))
        func check(_ title: Comment) -> [String] {
            let lines = Live.frame(state, rows: 24, columns: 80)
            #expect(lines.count <= 23, title)
            for line in lines { #expect(LiveText.width(line) <= 80, title) }
            return lines
        }
        _ = check("all pending")
        for host in hosts.prefix(300) { state.send(.connecting(host)) }
        clock.advance(1)
        _ = check("connecting")
        let odd = ["web17.s2", "db33.s4", "web05.s5"]
        var changed = 0
        for (i, host) in hosts.enumerated() where !odd.contains(host) {
            if i % 3 == 0 { changed += 1 }
            state.send(.taskFinished(host, status: i % 3 == 0 ? "CHANGED" : "SUCCESS", milliseconds: Double(i)))
        }
        state.send(.taskStarted("web17.s2", task: "command: uptime"))
        state.send(.taskFinished("db33.s4", status: "FAILED", milliseconds: 40))
        state.send(.linkFailed("web05.s5", reason: "timeout"))
        let lines = check("nearly done")
        // The few that fail or still run stay in sight.
        for name in odd {
            #expect(lines.contains { $0.contains(name + "  ") }, "\(name) hidden")
        }
        // Too wide for 80 columns with every count: those at zero go.
        #expect(lines[0] == "command: uptime  1s  \(502 - changed) ok  \(changed) changed  1 failed  1 unreachable  1 running")
        // Every host runs something different: there is no helping it but by summaries.
        for (i, host) in hosts.enumerated() {
            state.send(i % 2 == 0 ? .taskStarted(host, task: "task \(i)") : .taskFinished(host, status: "FAILED", milliseconds: 1))
        }
        _ = check("everything at once")
    }

    @Test func tinyTerminals() throws {
        let state = try Live.state("tree")
        state.send(.linkFailed("bastion2", reason: "auth refused"))
        for rows in 1...5 {
            for columns in [1, 2, 10] {
                let lines = Live.frame(state, rows: rows, columns: columns)
                #expect(lines.count <= max(rows - 1, 1))
                for line in lines { #expect(LiveText.width(line) <= columns) }
            }
        }
    }

    @Test func coloursOnlyWhenAsked() throws {
        let state = try Live.state("tree")
        state.send(.phase("command: uptime"))
        state.send(.taskFinished("t01", status: "SUCCESS", milliseconds: 5))
        state.send(.taskStarted("t02", task: "command: uptime"))
        state.send(.linkFailed("bastion2", reason: "auth refused"))
        let plain = Live.frame(state)
        #expect(!plain.joined().contains("\u{1B}"))
        let painted = Live.frame(state, colour: true)
        #expect(painted.contains { $0.contains("\u{1B}[32mSUCCESS\u{1B}[0m") })
        #expect(painted.contains { $0.contains("\u{1B}[31mFAILED: auth refused\u{1B}[0m") })
        // The same text once the colours are taken out.
        let stripped = painted.map { $0.replacing(/\x1B\[[0-9;]*m/, with: "") }
        #expect(stripped == plain)
    }

    @Test func theFinalFrameStopsTheClocks() throws {
        let clock = TestClock()
        let state = try Live.state("demo", clock: clock)
        state.send(.taskStarted("web1", task: "command: uptime"))
        clock.advance(3.456)
        state.stop()
        let final = Live.frame(state)
        #expect(final[0].hasPrefix("done in 3.46 s  "))
        #expect(final.contains("├── web1  running 3s  command: uptime"))
        clock.advance(10)
        #expect(Live.frame(state) == final)
    }
}

@Suite struct LiveViewTests {
    static func view(_ topology: String, _ terminal: TestTerminal, clock: TestClock = TestClock()) throws -> LiveView {
        LiveView(state: try Live.state(topology, clock: clock), colour: false, size: { terminal.size },
                 write: terminal.write)
    }

    @Test func drawsInPlaceAndLeavesTheLastFrame() throws {
        let terminal = TestTerminal()
        let view = try Self.view("demo", terminal)
        view.start(ticking: false)
        let first = terminal.take()
        #expect(first.hasPrefix(LiveTerminal.hideCursor))
        let frame = Live.frame(view.state)
        #expect(first == LiveTerminal.hideCursor + LiveTerminal.overwrite(frame))

        view.tick()
        #expect(terminal.take().isEmpty, "nothing changed: nothing written")

        view.send(.connecting("web1"))
        view.tick()
        let second = terminal.take()
        #expect(second.hasPrefix("\r\u{1B}[\(frame.count)A\u{1B}[2K"))

        view.print("web1 | SUCCESS | rc=0 >>\nup 3 days")
        #expect(terminal.take() == "\r\u{1B}[\(frame.count)A\u{1B}[2Kweb1 | SUCCESS | rc=0 >>\n\u{1B}[2Kup 3 days\n\u{1B}[J")
        view.tick()
        #expect(!terminal.take().hasPrefix("\r"), "the frame was cleared: nothing to move up over")

        view.send(.taskFinished("web1", status: "SUCCESS", milliseconds: 120))
        view.finish()
        #expect(terminal.all.hasSuffix(LiveTerminal.showCursor))
        view.finish()
        view.print("PLAY RECAP")
        #expect(terminal.take().hasSuffix(LiveTerminal.showCursor + "PLAY RECAP\n"), "after the end: plain text below the last frame")

        var screen = ScreenModel(columns: 100)
        screen.play(terminal.all)
        let last = Live.frame(view.state)
        #expect(last[0].hasPrefix("done in "))
        #expect(screen.lines == ["web1 | SUCCESS | rc=0 >>", "up 3 days"] + last + ["PLAY RECAP"])
        #expect(screen.cursorShown && !screen.overflowed)
    }

    @Test func aViewOfLinksOnlyCountsNoTasks() throws {
        let clock = TestClock()
        let state = LiveState(graph: try TopologyGraph(inventory: Fixtures.inventory("demo")), tasks: false, clock: { clock.now })
        state.send(.phase("probe of 7 hosts"))
        state.send(.linkUp("web1", setupMilliseconds: 300))
        state.send(.linkFailed("edge", reason: "no route"))
        let frame = Live.frame(state)
        #expect(frame[0] == "probe of 7 hosts  0s", "\(frame[0])")
        #expect(frame[1].contains("1/7 links up") && frame[1].contains("1 failed"), "\(frame[1])")
    }

    @Test func finishingWithoutTheFrameLeavesOnlyWhatWasPrinted() throws {
        let terminal = TestTerminal()
        let view = try Self.view("demo", terminal)
        view.start(ticking: false)
        view.send(.connecting("web1"))
        view.tick()
        view.print("a line of output")
        view.tick()
        view.finish(keepingFrame: false)
        view.print("the result")
        var screen = ScreenModel(columns: 100)
        screen.play(terminal.all)
        #expect(screen.lines == ["a line of output", "the result"])
        #expect(screen.cursorShown)
    }

    @Test func aClockRedrawsOncePerSecond() throws {
        let clock = TestClock()
        let terminal = TestTerminal()
        let view = try Self.view("demo", terminal, clock: clock)
        view.start(ticking: false)
        _ = terminal.take()
        clock.advance(0.4)
        view.tick()
        #expect(terminal.take().isEmpty)
        clock.advance(0.7)
        view.tick()
        #expect(terminal.take().contains("1s  0 ok"))
    }

    @Test func aNarrowedTerminalHasItsWrappedLinesErased() throws {
        let terminal = TestTerminal(TerminalSize(rows: 24, columns: 100))
        let view = try Self.view("tree", terminal)
        view.start(ticking: false)
        _ = terminal.take()
        let widths = Live.frame(view.state).map(LiveText.width)
        terminal.size = TerminalSize(rows: 24, columns: 30)
        view.tick()
        // Each line drawn at 100 columns now takes as many rows of 30 as it needs.
        let rows = widths.reduce(0) { $0 + max(1, ($1 + 29) / 30) }
        #expect(rows > widths.count)
        #expect(terminal.take().hasPrefix("\r\u{1B}[\(rows)A\u{1B}[2K"))
    }

    @Test func writesToAPipeFromItsOwnThread() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let output = FileHandle(fileDescriptor: fds[1], closeOnDealloc: false)
        #expect(!LiveView.canDraw(on: output))
        let graph = try TopologyGraph(inventory: Fixtures.lab("tree"))
        let view = LiveView(graph: graph, output: output, colour: true, interval: 0.02)
        view.start()
        let collected = Mutex(Data())
        let drained = DispatchSemaphore(value: 0)
        Thread {
            let data = reader.readDataToEndOfFile()
            collected.withLock { $0 = data }
            drained.signal()
        }.start()
        for host in ["bastion1", "t01", "t02", "bastion2", "bastion3", "u01"] {
            view.send(.connecting(host))
            Thread.sleep(forTimeInterval: 0.03)
            view.send(.linkUp(host, setupMilliseconds: 30))
        }
        view.print("t01 | SUCCESS | rc=0 >>")
        Thread.sleep(forTimeInterval: 0.05)
        view.finish()
        close(fds[1])
        drained.wait()
        let text = String(decoding: collected.withLock { $0 }, as: UTF8.self)
        #expect(text.hasPrefix(LiveTerminal.hideCursor) && text.hasSuffix(LiveTerminal.showCursor))
        #expect(text.components(separatedBy: "\u{1B}[J").count > 3, "redrawn as links came up")
        // A pipe has no size: 80 columns.
        var screen = ScreenModel(columns: 80)
        screen.play(text)
        let last = LiveFrame(view.state.snapshot(), size: .fallback, colour: true).lines
        #expect(screen.lines == ["t01 | SUCCESS | rc=0 >>"] + last.map { $0.replacing(/\x1B\[[0-9;]*m/, with: "") })
        #expect(!screen.overflowed && screen.cursorShown)
    }

    @Test func redrawsAtMostTenTimesASecond() throws {
        let terminal = TestTerminal()
        let view = LiveView(state: try Live.state("synthetic"), colour: false, size: { terminal.size },
                            write: terminal.write)
        let hosts = Live.hosts(view.state)
        view.start()
        let start = Date()
        var i = 0
        while Date().timeIntervalSince(start) < 0.5 {
            view.send(.connecting(hosts[i % hosts.count]))
            view.send(.linkUp(hosts[i % hosts.count], setupMilliseconds: Double(i)))
            i += 1
            Thread.sleep(forTimeInterval: 0.001)
        }
        view.finish()
        let frames = terminal.all.components(separatedBy: "controller  ").count - 1
        #expect(frames >= 3 && frames <= 8, "\(frames) frames in half a second")
    }

    /// A simulated run drawn on a real terminal, to look at: `RHIZOME_LIVE_DEMO=/dev/pts/N`
    /// (the terminal to draw on; `tty` names it) `swift test --filter LiveViewTests/demo`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RHIZOME_LIVE_DEMO"] != nil))
    func demo() throws {
        let path = try #require(ProcessInfo.processInfo.environment["RHIZOME_LIVE_DEMO"])
        let output = try #require(FileHandle(forWritingAtPath: path))
        let graph = try TopologyGraph(inventory: Fixtures.synthetic())
        let view = LiveView(graph: graph, output: output, colour: ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
        let hosts = graph.nodes.filter { $0.role != .controller }
        view.start()
        view.send(.phase("command: uptime"))
        for (i, node) in hosts.enumerated() {
            view.send(.connecting(node.name))
            if i % 10 == 9 { Thread.sleep(forTimeInterval: 0.05) }
            if node.name == "b4" {
                view.send(.linkFailed("b4", reason: "auth refused"))
                continue
            }
            if node.parent != 0, graph.nodes[node.parent!].name == "b4" { continue }
            view.send(.linkUp(node.name, setupMilliseconds: Double(200 + i % 90)))
            view.send(.taskStarted(node.name, task: "command: uptime"))
            if i >= 20 {
                let done = hosts[i - 20]
                guard graph.nodes[done.parent ?? 0].name != "b4", done.name != "b4" else { continue }
                let status = i % 53 == 0 ? "FAILED" : (i % 4 == 0 ? "CHANGED" : "SUCCESS")
                view.send(.taskFinished(done.name, status: status, milliseconds: Double(100 + i % 300)))
                if status == "FAILED" { view.print("\(done.name) | FAILED | rc=1 >>\nuptime: not found") }
            }
        }
        for node in hosts.suffix(20) { view.send(.taskFinished(node.name, status: "SUCCESS", milliseconds: 90)) }
        Thread.sleep(forTimeInterval: 0.5)
        view.finish()
    }
}
