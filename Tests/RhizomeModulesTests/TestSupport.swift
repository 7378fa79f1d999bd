#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeModules
import RhizomeWire
import Testing

/// The base environment the tests give the agent's modules.
let testEnvironment = ["PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"]

/// Records what a task reports and stops the loop when it finishes.
final class RecordingSink: TaskSink {
    let loop: EventLoop
    private(set) var chunks: [(stream: OutputStream, bytes: [UInt8])] = []
    private(set) var results: [TaskResult] = []
    /// What `isCongested` answers.
    var congested = false
    /// How often the task asked whether the link is congested.
    private(set) var congestionQueries = 0
    /// Called after each piece of output is recorded.
    var onOutput: ((OutputStream, [UInt8]) -> Void)?

    init(loop: EventLoop) { self.loop = loop }

    func taskOutput(_ stream: OutputStream, _ data: [UInt8]) {
        chunks.append((stream, data))
        onOutput?(stream, data)
    }

    func taskFinished(_ result: TaskResult) {
        results.append(result)
        loop.stop()
    }

    var isCongested: Bool {
        congestionQueries += 1
        return congested
    }

    var stdout: [UInt8] { chunks.filter { $0.stream == .stdout }.flatMap(\.bytes) }
    var stderr: [UInt8] { chunks.filter { $0.stream == .stderr }.flatMap(\.bytes) }
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    var result: TaskResult? { results.first }
}

/// Starts `request` on a fresh loop and runs the loop on this thread until the
/// task reports its result (at most `limit` seconds).
///
/// - Parameters:
///   - prepare: adjusts the sink before the task starts.
///   - whileRunning: runs once the task has started, on the loop thread.
@discardableResult
func run(_ request: RunTask, environment: [String] = testEnvironment, limit: Double = 20,
         prepare: (RecordingSink) -> Void = { _ in },
         whileRunning: (EventLoop, any RunningTask, RecordingSink) -> Void = { _, _, _ in }) throws -> RecordingSink {
    ignoreBrokenPipes()
    let loop = try EventLoop()
    let sink = RecordingSink(loop: loop)
    prepare(sink)
    let task = BuiltinModules.start(request, loop: loop, sink: sink, baseEnvironment: environment)
    if let task, sink.results.isEmpty { whileRunning(loop, task, sink) }
    if sink.results.isEmpty && !runBounded(loop, limit: limit) {
        Issue.record("\(request.module) did not finish within \(limit) s")
        task?.cancel(reason: "test limit")
        sink.congested = false
        task?.resume()
        runBounded(loop, limit: 5)
    }
    withExtendedLifetime(task) {}
    return sink
}

/// A `command` or `shell` task.
func task(_ module: String = "command", _ raw: String? = nil, _ extra: [(String, WireValue)] = [],
          environment: [String: String] = [:], timeout: Double = 0, outputCap: UInt64 = 0) -> RunTask {
    var arguments = extra
    if let raw { arguments.insert(("_raw_params", .string(raw)), at: 0) }
    return RunTask(module: module, arguments: .map(arguments), environment: environment, timeout: timeout, outputCap: outputCap)
}

/// Runs `loop` on the calling thread until it is stopped, or until `limit`
/// seconds have passed. Returns false when the limit ended it.
@discardableResult
func runBounded(_ loop: EventLoop, limit: Double) -> Bool {
    var expired = false
    let watchdog = loop.schedule(after: limit) {
        expired = true
        loop.stop()
    }
    loop.run()
    loop.cancel(watchdog)
    return !expired
}

/// Polls `condition` every few milliseconds for at most `limit` seconds.
func waitUntil(limit: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Clock.seconds() + limit
    while Clock.seconds() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// Reads `fd` to end of file, waiting at most `limit` seconds; nil on timeout.
func readToEnd(_ fd: FileDescriptor, limit: Double = 10) throws -> [UInt8]? {
    let deadline = Clock.seconds() + limit
    var collected: [UInt8] = []
    while true {
        let remaining = deadline - Clock.seconds()
        guard remaining > 0 else { return nil }
        var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, CInt(remaining * 1000) + 1) > 0 else { continue }
        guard let chunk = try fd.read(upTo: 64 << 10) else { continue }
        if chunk.isEmpty { return collected }
        collected += chunk
    }
}

/// A fresh directory under /tmp, removed after `body`.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array("/tmp/rhizome-modules-tests-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw Errno.current("mkdtemp")
    }
    let path = String(cString: made)
    defer {
        if let remover = try? ChildProcess.spawn(arguments: ["/bin/rm", "-rf", path], environment: []) {
            remover.stdin?.close()
            _ = remover.wait()
            remover.stdout.close()
            remover.stderr.close()
        }
    }
    return try body(path)
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n == 0 { break }
        bytes += buffer[0 ..< n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw Errno.current("open") }
    defer { close(fd) }
    try FileDescriptor(rawValue: fd).writeAll(Array(text.utf8))
}

func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// True once `pid` no longer runs: gone from /proc, or a zombie nobody reaped
/// yet (orphans are reaped by init, which may be slow or absent in a container).
func processHasEnded(_ pid: pid_t) -> Bool {
    guard let stat = readFile("/proc/\(pid)/stat") else { return true }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
    return state == "Z" || state == "X"
}

/// Writes to a pipe whose reader is gone must fail with EPIPE rather than
/// kill the test process, as they do in the agent.
func ignoreBrokenPipes() {
    _ = signal(SIGPIPE, SIG_IGN)
}

/// The test process's own environment.
func inheritedEnvironment() -> [String] {
    var result: [String] = []
    var pointer = environ
    while let entry = pointer.pointee {
        result.append(String(cString: entry))
        pointer += 1
    }
    return result
}

/// python3 in the test process's PATH, if any.
let pythonPath: String? = {
    guard let path = getenv("PATH") else { return nil }
    for directory in String(cString: path).split(separator: ":") {
        let candidate = String(directory) + "/python3"
        if access(candidate, X_OK) == 0 { return String(candidate) }
    }
    return nil
}()

/// `seq 1 count` as it prints it.
func sequence(_ count: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count * 7)
    for number in 1 ... count {
        out += Array(String(number).utf8)
        out.append(UInt8(ascii: "\n"))
    }
    return out
}
