#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CRhizomeSystem

/// An open file descriptor. A thin value type: closing is explicit.
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public var rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    /// Reads up to `count` bytes. Returns nil when the descriptor would block,
    /// an empty array at end of file.
    public func read(upTo count: Int) throws(Errno) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(rawValue, $0.baseAddress, count) }
            if n >= 0 {
                buffer.removeSubrange(n...)
                return buffer
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            case let code: throw Errno(code, call: "read")
            }
        }
    }

    /// Writes as much as the descriptor takes now. Returns the count written;
    /// 0 when it would block.
    public func write(_ bytes: ArraySlice<UInt8>) throws(Errno) -> Int {
        if bytes.isEmpty { return 0 }
        while true {
            let n = bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            case let code: throw Errno(code, call: "write")
            }
        }
    }

    /// Writes everything, blocking as needed (for blocking descriptors).
    public func writeAll(_ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let n = try write(bytes[offset...])
            if n == 0 {
                var pfd = pollfd(fd: rawValue, events: Int16(POLLOUT), revents: 0)
                _ = Glibc.poll(&pfd, 1, -1)
            }
            offset += n
        }
    }

    public func close() {
        _ = Glibc.close(rawValue)
    }

    public func setNonBlocking(_ on: Bool = true) throws(Errno) {
        let flags = try Syscall.retrying("fcntl") { fcntl(rawValue, F_GETFL) }
        let updated = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        _ = try Syscall.retrying("fcntl") { fcntl(rawValue, F_SETFL, updated) }
    }

    public func setCloseOnExec() throws(Errno) {
        _ = try Syscall.retrying("fcntl") { fcntl(rawValue, F_SETFD, FD_CLOEXEC) }
    }

    /// A close-on-exec pipe: (read end, write end).
    public static func pipe() throws(Errno) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [CInt] = [-1, -1]
        _ = try Syscall.retrying("pipe2") { CRhizome_pipe2(&fds, O_CLOEXEC) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }
}

extension FileDescriptor {
    /// Reads a file in pieces of at most 1 MiB, handing each to `body`.
    /// Returns false if the file cannot be opened or read.
    @discardableResult
    public static func forEachPiece(ofFile path: String, _ body: (ArraySlice<UInt8>) -> Void) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return false }
            if n == 0 { return true }
            body(buffer[0 ..< n])
        }
    }

    /// The whole contents of a file, or nil.
    public static func contents(ofFile path: String) -> [UInt8]? {
        var result: [UInt8] = []
        return forEachPiece(ofFile: path) { result.append(contentsOf: $0) } ? result : nil
    }
}

/// Unbuffered writes to stderr (fd 2), safe from any thread.
public enum StandardError {
    public static func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = try? FileDescriptor.standardError.write(bytes[...])
    }
}
