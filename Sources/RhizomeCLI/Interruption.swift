import Dispatch
import Foundation

/// Ctrl-C during a run. The first SIGINT cuts the run short: `onInterrupt`
/// cancels the tasks, and the command prints what ran before it ends by
/// SIGINT itself (`endBySignal`), so a shell loop or `make` around it sees the
/// interrupt. A second SIGINT ends the process at once. Nothing is installed
/// when SIGINT was ignored at start (a background job), so it stays ignored.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var source: (any DispatchSourceSignal)?
    private var count = 0

    init?(onInterrupt: @escaping @Sendable () -> Void, beforeExit: @escaping @Sendable () -> Void) {
        var old = sigaction()
        guard sigaction(SIGINT, nil, &old) == 0,
              unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self)
        else { return nil }
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            let first = self.lock.withLock { () -> Bool in
                self.count += 1
                return self.count == 1
            }
            if first {
                onInterrupt()
            } else {
                beforeExit()
                Self.endBySignal()
            }
        }
        source.resume()
        self.source = source
    }

    /// True once a SIGINT came.
    var happened: Bool { lock.withLock { count > 0 } }

    /// Ends the process by SIGINT, as an uncaught interrupt would have.
    static func endBySignal() -> Never {
        signal(SIGINT, SIG_DFL)
        kill(getpid(), SIGINT)
        // Blocked somewhere: end with the status shells give an interrupted command.
        exit(130)
    }
}
