import Foundation
import Logging
import RhizomeController
import RhizomeTopology
import Synchronization

/// The live tree of a run on the terminal (`--live`): links as they come up or fail,
/// and each host's task, fed from the controller's link events and the command's
/// results. Host output printed meanwhile goes above the tree.
final class LiveProgress: Sendable {
    private let view: LiveView
    /// Host output goes through the view when the view draws on standard output.
    private let drawsOnStandardOutput: Bool
    /// True from `start` until `finish`.
    private let drawing = Atomic<Bool>(true)

    /// A live view on standard output if it is a terminal, else on standard error if
    /// that is; nil (with a warning) when neither is.
    /// `tasks: false` for a view of links only (a probe).
    static func start(graph: TopologyGraph, phase: String, tasks: Bool = true) -> LiveProgress? {
        let environment = ProcessInfo.processInfo.environment
        let onStandardOutput = LiveView.canDraw(on: .standardOutput)
        guard onStandardOutput || LiveView.canDraw(on: .standardError) else {
            Console.err("[WARNING]: --live needs a terminal; going on without the live view")
            return nil
        }
        let colour = environment["NO_COLOR"] == nil
        let view = LiveView(graph: graph, tasks: tasks, output: onStandardOutput ? .standardOutput : .standardError,
                            colour: colour)
        let progress = LiveProgress(view: view, drawsOnStandardOutput: onStandardOutput)
        view.send(.phase(phase))
        view.start()
        return progress
    }

    private init(view: LiveView, drawsOnStandardOutput: Bool) {
        self.view = view
        self.drawsOnStandardOutput = drawsOnStandardOutput
        // Ctrl-C or a kill: show the cursor again before the process ends, as it would have.
        InterruptCleanup.install(terminal: drawsOnStandardOutput ? STDOUT_FILENO : STDERR_FILENO)
    }

    /// What the controller reports of links, for `ControllerOptions.linkEvents`.
    var linkEvents: @Sendable (LinkEvent) -> Void {
        { [view] event in
            switch event {
            case .connecting(let host): view.send(.connecting(host))
            case .up(let host, let t):
                view.send(.linkUp(host, setupMilliseconds: t.total * 1000))
            case .failed(let failure): view.send(.linkFailed(failure.hop, reason: failure.cause.rawValue))
            }
        }
    }

    func taskStarted(_ host: String, task: String) { view.send(.taskStarted(host, task: task)) }

    func taskFinished(_ outcome: TaskOutcome) {
        view.send(.taskFinished(outcome.host, status: outcome.status.rawValue, milliseconds: outcome.elapsed * 1000))
    }

    /// A host's result: above the tree when the tree is on standard output, else on standard output as usual.
    func print(_ text: String) {
        if drawsOnStandardOutput { view.print(text) } else { Console.out(text) }
    }

    /// A diagnostic line (`-v`, a log message): above the tree while it is drawn, on the
    /// terminal it is drawn on, so that it cannot tear the frame; on standard error after.
    func note(_ text: String) {
        if drawing.load(ordering: .acquiring) { view.print(text) } else { Console.err(text) }
    }

    /// Stops redrawing and leaves the last frame on screen, or takes it off when the
    /// command prints its full result in its place. Later calls do nothing.
    func finish(keepingFrame: Bool = true) {
        drawing.store(false, ordering: .releasing)
        view.finish(keepingFrame: keepingFrame)
        InterruptCleanup.remove()
    }
}

/// Signal handlers that give the terminal its cursor back, then let the signal do what
/// it did before: the process still ends by SIGINT (a shell loop or `make` around it sees
/// that), and a signal that was ignored (a background job) stays ignored. A handler may
/// only make async-signal-safe calls: it writes bytes prepared beforehand, restores the
/// default action and raises the signal again. Remote agents notice their links close
/// and exit; nothing is left running.
private enum InterruptCleanup {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// Below the frame, cursor shown.
    static let bytes: [UInt8] = Array("\r\n\u{1B}[?25h".utf8)
    nonisolated(unsafe) static var terminal: Int32 = STDERR_FILENO
    /// The actions in place before `install`, by signal.
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]

    static func install(terminal: Int32) {
        Self.terminal = terminal
        _ = bytes.count  // initialised here, never in a handler
        for number in signals {
            var old = sigaction()
            guard sigaction(number, nil, &old) == 0,
                  unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self)
            else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                InterruptCleanup.bytes.withUnsafeBufferPointer { _ = write(InterruptCleanup.terminal, $0.baseAddress, $0.count) }
                signal(number, SIG_DFL)
                raise(number)
            }
            sigemptyset(&action.sa_mask)
            if sigaction(number, &action, nil) == 0 { previous[number] = old }
        }
    }

    static func remove() {
        for (number, old) in previous {
            var old = old
            sigaction(number, &old, nil)
        }
        previous.removeAll()
    }
}

extension Logger {
    /// The command's logger at `-v` level `verbosity`: while `progress` draws, its lines go above the tree.
    static func rhizome(verbosity: Int, progress: LiveProgress?) -> Logger {
        var logger = progress.map { progress in Logger(label: "rhizome") { _ in LiveLogHandler(progress: progress) } }
            ?? Logger(label: "rhizome")
        logger.logLevel = verbosity >= 3 ? .debug : (verbosity >= 1 ? .info : .warning)
        return logger
    }
}

/// Log messages of a live run, one line each, printed through the live view.
struct LiveLogHandler: LogHandler {
    let progress: LiveProgress
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let all = metadata.merging(explicit ?? [:]) { $1 }
        let fields = all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
        progress.note("[\(level.rawValue.uppercased())]: \(message)" + (fields.isEmpty ? "" : " (\(fields))"))
    }
}

