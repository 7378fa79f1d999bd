#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One request to an ssh-agent and its reply, over a connection of its own:
/// callers on several threads never share a socket, so no lock is needed.
enum AgentConnection {
    /// How long an agent may take to answer. Long enough for an agent that asks
    /// the user to confirm each use (ssh-add -c); an SSH server waits no longer.
    static let replyTimeout = 30.0

    /// Sends `message` (framed) to the agent at `socketPath` and decodes its reply.
    static func request(_ message: [UInt8], socketPath: String,
                        timeout: Double = replyTimeout) throws(KeySignerError) -> AgentProtocol.Reply {
        let fd = try connect(socketPath, timeout: timeout)
        defer { close(fd) }
        do {
            try sendAll(fd, message)
        } catch {
            throw KeySignerError(.agentConnection, subject: socketPath, "cannot send to ssh-agent: \(error)")
        }
        do {
            let header = try receive(fd, count: 4)
            let length = try AgentProtocol.bodyLength(header: header)
            return try AgentProtocol.decodeReply(try receive(fd, count: length))
        } catch let error as AgentProtocol.Malformed {
            throw KeySignerError(.agentProtocol, subject: socketPath, "ssh-agent sent a malformed reply: \(error)")
        } catch {
            throw KeySignerError(.agentConnection, subject: socketPath, "no reply from ssh-agent: \(error)")
        }
    }

    private struct SocketFailure: Error, CustomStringConvertible {
        var description: String
        static func current(_ call: String) -> SocketFailure {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return SocketFailure(description: "\(call): timed out") }
            return SocketFailure(description: "\(call): \(String(cString: strerror(code)))")
        }
    }

    private static func connect(_ socketPath: String, timeout: Double) throws(KeySignerError) -> CInt {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !path.isEmpty, path.count < capacity else {
            throw KeySignerError(.agentConnection, subject: socketPath,
                                 "ssh-agent socket path is empty or longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw KeySignerError(.agentConnection, subject: socketPath, "cannot create a socket: \(SocketFailure.current("socket"))")
        }
        // Both directions time out, connect included (Linux applies SO_SNDTIMEO to
        // a unix-socket connect whose listener's backlog is full).
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        var rc: CInt
        repeat {
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        } while rc != 0 && errno == EINTR
        guard rc == 0 else {
            let failure = SocketFailure.current("connect")
            close(fd)
            throw KeySignerError(.agentConnection, subject: socketPath, "cannot reach ssh-agent: \(failure)")
        }
        return fd
    }

    private static func sendAll(_ fd: CInt, _ bytes: [UInt8]) throws(SocketFailure) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketFailure.current("send")
            }
            sent += n
        }
    }

    private static func receive(_ fd: CInt, count: Int) throws(SocketFailure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, count - received, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketFailure.current("recv")
            }
            if n == 0 { throw SocketFailure(description: "the agent closed the connection") }
            received += n
        }
        return buffer
    }
}
