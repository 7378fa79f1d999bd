import Foundation
import Synchronization

/// The tree drawn live on a terminal while a run goes on: fed with `send(_:)` from any
/// thread, redrawn in place by a thread of its own at most `1 / interval` times a second,
/// and only when the frame changed. Text the caller prints meanwhile goes above the frame.
///
///     let view = LiveView(graph: graph, output: .standardError, colour: style.colour)
///     view.start()
///     view.send(.connecting("web1"))
///     view.print("web1 | SUCCESS | rc=0 >>\nhello")
///     view.finish()
///
/// The caller decides whether to draw at all (a terminal on the other end) and whether
/// in colour (NO_COLOR, TERM=dumb).
public final class LiveView: Sendable {
    /// The state the frames are drawn from; `send(_:)` feeds it.
    public let state: LiveState
    private let colour: Bool
    private let interval: Double
    private let write: @Sendable (String) -> Void
    private let size: @Sendable () -> TerminalSize?
    private let screen = Mutex(Screen())
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    private struct Screen {
        enum Stage { case idle, live, finished }
        var stage = Stage.idle
        var ticking = false
        var stopping = false
        /// The frame on screen, if one is, with the size it was drawn for.
        var lines: [String]?
        var size = TerminalSize.fallback
        /// What the frame on screen was drawn from: nothing to do while it is the same.
        var drawnFrom: Key?
    }

    private struct Key: Hashable {
        var version: Int
        var second: Int
        var size: TerminalSize
    }

    /// Draws on `output`, a terminal whose size is read from it on every frame.
    /// `tasks: false` for a view of links only (a probe).
    public convenience init(graph: TopologyGraph, tasks: Bool = true, output: FileHandle = .standardError, colour: Bool,
                            interval: Double = 0.1) {
        let fd = output.fileDescriptor
        self.init(state: LiveState(graph: graph, tasks: tasks), colour: colour, interval: interval,
                  size: { LiveTerminal.size(fd) }, write: { LiveTerminal.write($0, to: fd) })
    }

    /// Draws with `write`, for a terminal of `size` (nil: 80×24).
    public init(state: LiveState, colour: Bool, interval: Double = 0.1,
                size: @escaping @Sendable () -> TerminalSize?, write: @escaping @Sendable (String) -> Void) {
        self.state = state
        self.colour = colour
        self.interval = interval
        self.size = size
        self.write = write
    }

    /// True when `output` is a terminal that can move its cursor: where a live view makes sense.
    public static func canDraw(on output: FileHandle = .standardError) -> Bool {
        isatty(output.fileDescriptor) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Hides the cursor, draws the first frame and starts redrawing.
    public func start() { start(ticking: true) }

    /// Without `ticking`, frames are drawn only by `tick()`: for tests.
    func start(ticking: Bool) {
        let started = screen.withLock { screen in
            guard screen.stage == .idle else { return false }
            screen.stage = .live
            screen.ticking = ticking
            write(LiveTerminal.hideCursor)
            draw(&screen)
            return true
        }
        guard started, ticking else { return }
        let thread = Thread { [self] in
            while true {
                _ = wake.wait(timeout: .now() + interval)
                if screen.withLock({ $0.stopping }) { break }
                tick()
            }
            exited.signal()
        }
        thread.name = "rhizome-live-view"
        thread.start()
    }

    public func send(_ event: LiveEvent) { state.send(event) }

    /// Writes `text` (a newline is added unless it ends with one) above the frame: it takes
    /// the frame's place, and the frame is drawn again below it at the next redraw.
    public func print(_ text: String) {
        let text = text.hasSuffix("\n") ? String(text.dropLast()) : text
        screen.withLock { screen in
            guard screen.lines != nil else { return write(text + "\n") }
            write(rewind(&screen) + LiveTerminal.overwrite(text.split(separator: "\n", omittingEmptySubsequences: false)))
        }
    }

    /// Draws the frame if it changed.
    func tick() {
        screen.withLock { screen in
            guard screen.stage == .live else { return }
            draw(&screen)
        }
    }

    /// Stops redrawing, draws the last frame (the clock stopped) and leaves it on screen,
    /// with the cursor shown again below it; or, without `keepingFrame`, takes the frame off
    /// the screen (for a command that prints its full result in its place). Later calls do
    /// nothing. A started view keeps its thread, and the cursor hidden, until this is called.
    public func finish(keepingFrame: Bool = true) {
        let ticking = screen.withLock { screen -> Bool? in
            guard screen.stage == .live, !screen.stopping else { return nil }
            screen.stopping = true
            return screen.ticking
        }
        guard let ticking else { return }
        if ticking {
            wake.signal()
            exited.wait()
        }
        state.stop()
        screen.withLock { screen in
            if keepingFrame {
                draw(&screen)
            } else {
                // Back to where the frame starts, and everything below cleared.
                write(rewind(&screen) + "\u{1B}[J")
            }
            write(LiveTerminal.showCursor)
            screen.stage = .finished
            // The last frame stays: what is printed from now on goes below it.
            screen.lines = nil
        }
    }

    private func draw(_ screen: inout Screen) {
        var size = self.size() ?? .fallback
        size = TerminalSize(rows: max(size.rows, 1), columns: max(size.columns, 1))
        let snapshot = state.snapshot()
        let key = Key(version: snapshot.version, second: Int(snapshot.elapsed), size: size)
        if screen.lines != nil, screen.drawnFrom == key { return }
        let frame = LiveFrame(snapshot, size: size, colour: colour).lines
        screen.drawnFrom = key
        if screen.lines == frame, screen.size == size { return }
        write(rewind(&screen, now: size) + LiveTerminal.overwrite(frame))
        screen.lines = frame
        screen.size = size
    }

    /// Moves up to where the frame on screen starts, for what comes next to overwrite it.
    /// The terminal may have narrowed since it was drawn, and wrapped its lines: each takes
    /// as many rows as its width needs at the width now.
    private func rewind(_ screen: inout Screen, now size: TerminalSize? = nil) -> String {
        guard let lines = screen.lines else { return "" }
        screen.lines = nil
        let columns = (size ?? self.size() ?? screen.size).columns
        let rows = lines.reduce(0) { $0 + max(1, (LiveText.width($1) + columns - 1) / max(columns, 1)) }
        return rows == 0 ? "" : "\r\u{1B}[\(rows)A"
    }
}

/// The few things the live view asks of a terminal.
enum LiveTerminal {
    static let hideCursor = "\u{1B}[?25l"
    static let showCursor = "\u{1B}[?25h"

    /// `lines` written over what is on screen from the cursor down: each line cleared as it
    /// is written, and what is left below cleared after them. Clearing from the top-left
    /// corner instead would have some terminals (tmux) keep the old screen in their history.
    static func overwrite<S: StringProtocol>(_ lines: [S]) -> String {
        lines.map { "\u{1B}[2K" + $0 + "\n" }.joined() + "\u{1B}[J"
    }

    /// Rows and columns of the terminal on `fd`; nil when it is not one.
    static func size(_ fd: Int32) -> TerminalSize? {
        var size = winsize()
        let result = withUnsafeMutablePointer(to: &size) { ioctl(fd, UInt(TIOCGWINSZ), $0) }
        guard result == 0, size.ws_row > 0, size.ws_col > 0 else { return nil }
        return TerminalSize(rows: Int(size.ws_row), columns: Int(size.ws_col))
    }

    /// All of `text`, retried after signals; a closed or broken terminal is left alone.
    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
