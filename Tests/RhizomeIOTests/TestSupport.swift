#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import Synchronization

/// Runs `loop` on the calling thread until it is stopped, or until `limit`
/// seconds have passed. Returns false when the limit ended it.
@discardableResult
func runBounded(_ loop: EventLoop, limit: Double = 10) -> Bool {
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
    var template = Array("/tmp/rhizome-io-tests-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw Errno.current("mkdtemp")
    }
    let path = String(cString: made)
    defer {
        if let remover = try? ChildProcess.spawn(arguments: ["/bin/rm", "-rf", path], environment: []) {
            _ = remover.wait()
        }
    }
    return try body(path)
}

/// The contents of a small file, or nil when it cannot be read.
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

/// True once `pid` no longer runs: gone from /proc, or a zombie nobody reaped
/// yet (orphans are reaped by init, which may be slow or absent in a container).
func processHasEnded(_ pid: pid_t) -> Bool {
    guard let stat = readFile("/proc/\(pid)/stat") else { return true }
    // The state follows the command name, which is in parentheses and may contain anything.
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
    return state == "Z" || state == "X"
}

/// The environment tests hand to child processes.
let testEnvironment = ["PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"]

/// A value shared with other threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: @Sendable (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { withLock { $0 } }
}
