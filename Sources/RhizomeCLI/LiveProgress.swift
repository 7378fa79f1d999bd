import Foundation
import RhizomeController
import RhizomeTopology

/// The live tree of a run on the terminal (`--live`): links as they come up or fail,
/// and each host's task, fed from the controller's link events and the command's
/// results. Host output printed meanwhile goes above the tree.
final class LiveProgress: Sendable {
    private let view: LiveView
    /// Host output goes through the view when the view draws on standard output.
    private let drawsOnStandardOutput: Bool

    /// A live view on standard output if it is a terminal, else on standard error if
    /// that is; nil (with a warning) when neither is.
    static func start(graph: TopologyGraph, phase: String) -> LiveProgress? {
        let environment = ProcessInfo.processInfo.environment
        let onStandardOutput = LiveView.canDraw(on: .standardOutput)
        guard onStandardOutput || LiveView.canDraw(on: .standardError) else {
            Console.err("[WARNING]: --live needs a terminal; going on without the live view")
            return nil
        }
        let colour = environment["NO_COLOR"] == nil
        let view = LiveView(graph: graph, output: onStandardOutput ? .standardOutput : .standardError, colour: colour)
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
                view.send(.linkUp(host, setupMilliseconds: (t.handshake + t.authentication + t.bootstrap) * 1000))
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

    /// A diagnostic line (`-v`): above the tree, on the terminal it is drawn on, so that it
    /// cannot tear the frame.
    func note(_ text: String) { view.print(text) }

    /// Stops redrawing and leaves the last frame on screen. Later calls do nothing.
    func finish() {
        view.finish()
        InterruptCleanup.remove()
    }
}

/// Signal handlers that give the terminal its cursor back and end the process with the
/// signal's usual status. A handler may only make async-signal-safe calls: it writes
/// bytes prepared beforehand and calls `_exit`. Remote agents notice their links close
/// and exit; nothing is left running.
private enum InterruptCleanup {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    /// Below the frame, cursor shown.
    nonisolated(unsafe) static var bytes: [UInt8] = Array("\r\n\u{1B}[?25h".utf8)
    nonisolated(unsafe) static var terminal: Int32 = STDERR_FILENO

    static func install(terminal: Int32) {
        Self.terminal = terminal
        _ = bytes.count  // initialised here, never in the handler
        for number in signals {
            signal(number) { number in
                InterruptCleanup.bytes.withUnsafeBufferPointer { _ = write(InterruptCleanup.terminal, $0.baseAddress, $0.count) }
                _exit(128 + number)
            }
        }
    }

    static func remove() {
        for number in signals { signal(number, SIG_DFL) }
    }
}
