#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeWire

/// A module that runs as a child process (command, shell): streams its output,
/// enforces the output cap and the timeout, and reports how it ended.
public final class ProcessTask: RunningTask {
    public struct Options {
        public var arguments: [String]
        public var environment: [String]
        public var directory: String?
        public var stdin: [UInt8]?
        public var timeout: Double
        public var outputCap: UInt64
        /// `changed` of a successful run.
        public var changed: Bool

        public init(arguments: [String], environment: [String], directory: String? = nil, stdin: [UInt8]? = nil,
                    timeout: Double = 0, outputCap: UInt64 = 0, changed: Bool = true) {
            self.arguments = arguments
            self.environment = environment
            self.directory = directory
            self.stdin = stdin
            self.timeout = timeout
            self.outputCap = outputCap
            self.changed = changed
        }
    }

    private let loop: EventLoop
    private weak var sink: (any TaskSink)?
    private let options: Options
    private var process: ChildProcess?
    private var stdoutToken: EventLoop.Token?
    private var stderrToken: EventLoop.Token?
    private var stdinToken: EventLoop.Token?
    private var timeoutTimer: EventLoop.Token?
    private var pendingStdin: ArraySlice<UInt8> = []
    private var sent: [OutputStream: UInt64] = [.stdout: 0, .stderr: 0]
    private var dropped: [OutputStream: UInt64] = [.stdout: 0, .stderr: 0]
    private var openStreams = 2
    private var startTime: Int64 = 0
    private var failure: String?
    private var finished = false
    private var exitToken: EventLoop.Token?
    private var exitDescriptor: FileDescriptor?
    private var termination: ChildProcess.Termination?
    private var quietTimer: EventLoop.Token?

    public init(loop: EventLoop, sink: any TaskSink, options: Options) {
        self.loop = loop
        self.sink = sink
        self.options = options
    }

    /// Starts the process. Failures to start are reported through the sink.
    public func start() {
        startTime = Clock.wallNanos()
        do {
            let child = try ChildProcess.spawn(arguments: options.arguments, environment: options.environment,
                                               directory: options.directory)
            process = child
            TaskReaper.watch(child.pid)
            try? child.stdout.setNonBlocking()
            try? child.stderr.setNonBlocking()
            stdoutToken = loop.register(child.stdout.rawValue, events: .readable) { [weak self] _ in self?.read(.stdout) }
            stderrToken = loop.register(child.stderr.rawValue, events: .readable) { [weak self] _ in self?.read(.stderr) }
            if let input = child.stdin {
                if let data = options.stdin, !data.isEmpty {
                    try? input.setNonBlocking()
                    pendingStdin = data[...]
                    stdinToken = loop.register(input.rawValue, events: .writable) { [weak self] _ in self?.writeStdin() }
                } else {
                    input.close()
                    process?.stdin = nil
                }
            }
            watchExit()
            if options.timeout > 0 {
                timeoutTimer = loop.schedule(after: options.timeout) { [weak self] in
                    guard let self else { return }
                    self.cancel(reason: "timed out after \(Self.formatSeconds(self.options.timeout)); process group killed")
                }
            }
        } catch {
            var message = "cannot run \(options.arguments.first ?? "?"): \(String(cString: strerror(error.rawValue)))"
            if let directory = options.directory, error.rawValue == ENOENT { message += " (or chdir to \(directory) failed)" }
            finish(TaskResult(rc: nil, start: startTime, end: Clock.wallNanos(), changed: false, failed: true, message: message))
        }
    }

    public func cancel(reason: String) {
        guard !finished, let process else { return }
        failure = reason
        process.killGroup(SIGKILL)
        // Whatever still holds the pipes once the group is dead left it (setsid,
        // a daemon): waiting for their end of file could take forever.
        loop.schedule(after: Self.abandonDelay) { [weak self] in self?.abandonOutput() }
    }

    /// Seconds after a kill before output still open is no longer waited for.
    static let abandonDelay = 1.0

    private func abandonOutput() {
        guard !finished else { return }
        closeStream(.stdout)
        closeStream(.stderr)
    }

    public func resume() {
        if let stdoutToken { loop.setEvents(stdoutToken, .readable) }
        if let stderrToken { loop.setEvents(stderrToken, .readable) }
    }

    // MARK: I/O

    private func writeStdin() {
        guard let input = process?.stdin else { return }
        do {
            let n = try input.write(pendingStdin)
            pendingStdin = pendingStdin.dropFirst(n)
        } catch {
            pendingStdin = []  // EPIPE: the process does not read its input
        }
        if pendingStdin.isEmpty {
            if let stdinToken { loop.deregister(stdinToken) }
            stdinToken = nil
            input.close()
            process?.stdin = nil
        }
    }

    private func read(_ stream: OutputStream) {
        guard let process else { return }
        let fd = stream == .stdout ? process.stdout : process.stderr
        if sink?.isCongested == true {
            // Stop watching until the link drains; the process blocks on a full pipe.
            if let token = stream == .stdout ? stdoutToken : stderrToken { loop.setEvents(token, []) }
            return
        }
        let bytes: [UInt8]
        do {
            guard let read = try fd.read(upTo: 64 << 10) else { return }
            bytes = read
        } catch {
            bytes = []
        }
        if bytes.isEmpty {
            closeStream(stream)
            return
        }
        deliver(stream, bytes)
    }

    private func deliver(_ stream: OutputStream, _ bytes: [UInt8]) {
        let already = sent[stream] ?? 0
        var keep = bytes[...]
        if options.outputCap > 0 {
            let room = options.outputCap > already ? options.outputCap - already : 0
            if UInt64(keep.count) > room {
                dropped[stream, default: 0] += UInt64(keep.count) - room
                keep = keep.prefix(Int(room))
            }
        }
        if termination != nil { armQuietTimer() }
        guard !keep.isEmpty else { return }
        sent[stream] = already + UInt64(keep.count)
        sink?.taskOutput(stream, Array(keep))
    }

    private func closeStream(_ stream: OutputStream) {
        guard let process else { return }
        if stream == .stdout, let token = stdoutToken {
            loop.deregister(token)
            stdoutToken = nil
            process.stdout.close()
        } else if stream == .stderr, let token = stderrToken {
            loop.deregister(token)
            stderrToken = nil
            process.stderr.close()
        } else {
            return
        }
        openStreams -= 1
        if openStreams == 0 { outputEnded() }
    }

    // MARK: Exit

    /// Watches for the child's exit: its pidfd where the kernel has them
    /// (Linux 5.3+), else a short poll of waitpid. Never blocks the loop.
    private func watchExit() {
        guard let process else { return }
        if let descriptor = process.exitDescriptor() {
            exitDescriptor = descriptor
            exitToken = loop.register(descriptor.rawValue, events: .readable) { [weak self] _ in self?.checkExit() }
        } else {
            pollExit(after: 0.0005)
        }
    }

    private func pollExit(after delay: Double) {
        loop.schedule(after: delay) { [weak self] in
            guard let self, !self.finished, self.termination == nil else { return }
            self.checkExit()
            if self.termination == nil { self.pollExit(after: min(delay * 2, 0.05)) }
        }
    }

    private func checkExit() {
        guard termination == nil, let process, let ended = process.poll() else { return }
        termination = ended
        if let exitToken { loop.deregister(exitToken) }
        exitToken = nil
        exitDescriptor?.close()
        exitDescriptor = nil
        if openStreams == 0 {
            complete()
        } else {
            // Something the command started in the background still holds its
            // pipes. As Ansible does, stop waiting once they have been quiet
            // for a while after the command itself exited.
            armQuietTimer()
        }
    }

    /// Seconds of silence on the pipes, after the command exited, before they
    /// are no longer waited for.
    static let quietPeriod = 1.0

    private func armQuietTimer() {
        if let quietTimer { loop.cancel(quietTimer) }
        quietTimer = loop.schedule(after: Self.quietPeriod) { [weak self] in
            guard let self, !self.finished else { return }
            if self.sink?.isCongested == true {
                self.armQuietTimer()  // paused by us, not quiet
            } else {
                self.abandonOutput()
            }
        }
    }

    /// Both pipes reached end of file (or were abandoned).
    private func outputEnded() {
        if termination != nil { complete() }
        // Otherwise the exit watch completes the task.
    }

    private func complete() {
        guard let termination, !finished else { return }
        if let quietTimer { loop.cancel(quietTimer) }
        if let stdinToken { loop.deregister(stdinToken) }
        process?.stdin?.close()
        var result = TaskResult(start: startTime, end: Clock.wallNanos(),
                                stdoutDropped: dropped[.stdout] ?? 0, stderrDropped: dropped[.stderr] ?? 0)
        switch termination {
        case .exited(let code):
            result.rc = code
            result.failed = code != 0
            if code != 0 { result.message = "non-zero return code" }
        case .signalled(let signal):
            result.signal = signal
            result.rc = -signal
            result.failed = true
            result.message = "killed by signal \(signal)"
        }
        if let failure {
            result.failed = true
            result.message = failure
        }
        result.changed = options.changed
        finish(result)
    }

    private func finish(_ result: TaskResult) {
        guard !finished else { return }
        finished = true
        if let process { TaskReaper.forget(process.pid) }
        if let timeoutTimer { loop.cancel(timeoutTimer) }
        sink?.taskFinished(result)
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
