#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A single-threaded poll(2) loop: file descriptors, timers, and work handed in
/// from other threads.
///
/// Everything except `execute(_:)` and `stop()` must be called on the loop's own
/// thread (from inside a handler, a timer or executed work). The agent runs one
/// on its main thread; the controller runs one on a dedicated thread.
public final class EventLoop: @unchecked Sendable {
    public typealias Handler = (PollEvents) -> Void

    /// Identifies a registration or a timer.
    public struct Token: Hashable, Sendable {
        fileprivate var value: UInt64
    }

    private struct Registration {
        var fd: CInt
        var events: PollEvents
        var handler: Handler
    }

    private struct Timer {
        var deadline: Int64
        var token: Token
        var work: () -> Void
    }

    private var registrations: [Token: Registration] = [:]
    private var timers: [Timer] = []
    private var nextToken: UInt64 = 1
    private let wake: (read: FileDescriptor, write: FileDescriptor)
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private let stopped = Atomic<Bool>(false)

    public init() throws(Errno) {
        wake = try FileDescriptor.pipe()
        try wake.read.setNonBlocking()
        try wake.write.setNonBlocking()
    }

    deinit {
        wake.read.close()
        wake.write.close()
    }

    // MARK: Thread-safe entry points

    /// Runs `work` on the loop thread soon. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(work) }
        var one: UInt8 = 1
        _ = Glibc.write(wake.write.rawValue, &one, 1)
    }

    /// Makes `run()` return after the current iteration. Safe from any thread.
    public func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        execute {}
    }

    // MARK: Loop-thread API

    /// Watches `fd` for `events`; `handler` gets the events that fired
    /// (error and hang-up are always reported). A registration waiting for no
    /// events is paused: its descriptor is left out of poll(2) altogether,
    /// which would otherwise report a hang-up on every iteration and spin.
    @discardableResult
    public func register(_ fd: CInt, events: PollEvents, handler: @escaping Handler) -> Token {
        let token = makeToken()
        registrations[token] = Registration(fd: fd, events: events, handler: handler)
        return token
    }

    /// Changes what a registration waits for; `[]` pauses it.
    public func setEvents(_ token: Token, _ events: PollEvents) {
        registrations[token]?.events = events
    }

    public func deregister(_ token: Token) {
        registrations[token] = nil
    }

    /// Runs `work` after `seconds` on the loop thread.
    @discardableResult
    public func schedule(after seconds: Double, _ work: @escaping () -> Void) -> Token {
        let token = makeToken()
        let deadline = Clock.monotonicNanos() + Int64(max(0, seconds) * 1e9)
        let index = timers.firstIndex(where: { $0.deadline > deadline }) ?? timers.endIndex
        timers.insert(Timer(deadline: deadline, token: token, work: work), at: index)
        return token
    }

    public func cancel(_ token: Token) {
        timers.removeAll { $0.token == token }
    }

    /// Runs until `stop()`.
    public func run() {
        var pollSet: [pollfd] = []
        var tokens: [Token] = []
        while !stopped.load(ordering: .sequentiallyConsistent) {
            pollSet.removeAll(keepingCapacity: true)
            tokens.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: wake.read.rawValue, events: Int16(POLLIN), revents: 0))
            for (token, registration) in registrations where !registration.events.isEmpty {
                pollSet.append(pollfd(fd: registration.fd, events: registration.events.rawValue, revents: 0))
                tokens.append(token)
            }
            var timeout: CInt = -1
            if let first = timers.first {
                let remaining = first.deadline - Clock.monotonicNanos()
                timeout = remaining <= 0 ? 0 : CInt(min((remaining + 999_999) / 1_000_000, 60_000))
            }
            let ready = Glibc.poll(&pollSet, nfds_t(pollSet.count), timeout)
            if ready < 0 && errno != EINTR {
                // poll only fails on programming errors (EFAULT/EINVAL) or ENOMEM; back off.
                usleep(1000)
            }
            if ready > 0 {
                if pollSet[0].revents != 0 { drainWake() }
                for index in 1 ..< pollSet.count where pollSet[index].revents != 0 {
                    // A handler may have removed this or other registrations.
                    guard let registration = registrations[tokens[index - 1]] else { continue }
                    registration.handler(PollEvents(rawValue: pollSet[index].revents))
                }
            }
            runInbox()
            runDueTimers()
        }
        stopped.store(false, ordering: .sequentiallyConsistent)
    }

    // MARK: Private

    private func makeToken() -> Token {
        defer { nextToken += 1 }
        return Token(value: nextToken)
    }

    private func drainWake() {
        var scratch = [UInt8](repeating: 0, count: 256)
        while Glibc.read(wake.read.rawValue, &scratch, scratch.count) > 0 {}
    }

    private func runInbox() {
        let work = inbox.withLock { pending -> [@Sendable () -> Void] in
            defer { pending.removeAll() }
            return pending
        }
        for item in work { item() }
    }

    private func runDueTimers() {
        let now = Clock.monotonicNanos()
        while let first = timers.first, first.deadline <= now {
            timers.removeFirst()
            first.work()
        }
    }
}
