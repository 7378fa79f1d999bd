#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibSSH2
import RhizomeIO
import RhizomeResolver

/// One libssh2 session over one TCP connection.
///
/// Not thread-safe: a session and its channels are used by one thread at a
/// time (libssh2's rule). A session may be handed from one thread to another,
/// as the controller does after a handshake.
public final class SSHSession {
    let raw: OpaquePointer
    /// The TCP socket under the session.
    public let socket: CInt
    /// `user@host:port`, for messages.
    public private(set) var endpoint: String
    public let host: String
    public let port: Int
    /// False until the key exchange succeeded: only then is there a peer to say goodbye to.
    private var handshaken = false

    private static let initialized: Bool = {
        libssh2_init(0) == 0
    }()

    /// Connects and runs the key exchange. The host key is *not* checked yet:
    /// call `verifyHostKey` next.
    ///
    /// - Parameter hostKeyTypes: key types to prefer in the negotiation (those
    ///   known_hosts has for the host), so the server offers a key we can check.
    /// - Parameter lookup: who resolves `host` when it is a name.
    public convenience init(host: String, port: Int, connectTimeout: Double, operationTimeout: Double = 30,
                            hostKeyTypes: [String] = [], lookup: NameLookup = .system) throws(SSHError) {
        let fd = try TCPSocket.connect(host: host, port: port, timeout: connectTimeout, lookup: lookup)
        try self.init(socket: fd, host: host, port: port, operationTimeout: operationTimeout, hostKeyTypes: hostKeyTypes)
    }

    /// Runs the key exchange over a connected stream socket (TCP, or one end of
    /// a socketpair carrying a tunnel). Takes ownership of `fd`.
    public init(socket fd: CInt, host: String, port: Int, operationTimeout: Double = 30,
                hostKeyTypes: [String] = []) throws(SSHError) {
        let endpoint = TCPSocket.formatEndpoint(host: host, port: port)
        guard SSHSession.initialized else {
            close(fd)
            throw SSHError(.library(-1), endpoint: endpoint, "libssh2_init failed")
        }
        guard let session = CLibSSH2_session_init(nil) else {
            close(fd)
            throw SSHError(.library(-1), endpoint: endpoint, "cannot allocate an SSH session")
        }
        self.raw = session
        self.socket = fd
        self.host = host
        self.port = port
        self.endpoint = endpoint
        CLibSSH2_install_quickack_recv(session)
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, Int(operationTimeout * 1000))
        if let preference = Self.hostKeyPreference(hostKeyTypes) {
            _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, preference)
        }
        let rc = libssh2_session_handshake(session, fd)
        if rc != 0 {
            // Every property is set: throwing runs deinit, which frees the session and closes fd.
            throw Self.explainHandshake(lastError(rc, as: rc == LIBSSH2_ERROR_TIMEOUT ? .timeout : .handshake,
                                                  context: "SSH handshake failed"))
        }
        handshaken = true
    }

    deinit {
        if handshaken { _ = CLibSSH2_session_disconnect(raw, "bye") }
        libssh2_session_free(raw)
        close(socket)
    }

    /// Records the user for messages (`user@host:port`).
    func setUser(_ user: String) {
        endpoint = "\(user)@" + TCPSocket.formatEndpoint(host: host, port: port)
    }

    /// Blocking mode (bootstrap) or non-blocking mode (event loop).
    public var isBlocking: Bool {
        get { libssh2_session_get_blocking(raw) != 0 }
        set { libssh2_session_set_blocking(raw, newValue ? 1 : 0) }
    }

    /// Timeout of blocking calls, in seconds; 0 for none.
    public var timeout: Double {
        get { Double(libssh2_session_get_timeout(raw)) / 1000 }
        set { libssh2_session_set_timeout(raw, Int(newValue * 1000)) }
    }

    /// What a non-blocking call that returned EAGAIN waits for.
    public var blockDirections: PollEvents {
        let directions = libssh2_session_block_directions(raw)
        var events: PollEvents = []
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events.insert(.readable) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events.insert(.writable) }
        return events
    }

    /// The server's host key: its type name and raw blob.
    public func hostKey() throws(SSHError) -> HostKey {
        var length = 0
        var type: Int32 = 0
        guard let pointer = libssh2_session_hostkey(raw, &length, &type), length > 0 else {
            throw lastError(-1, as: .handshake, context: "server sent no host key")
        }
        let blob = pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        return HostKey(type: HostKey.typeName(libssh2Type: type), blob: blob)
    }

    /// Enables SSH keepalives every `interval` seconds (sent by `sendKeepalive`).
    public func configureKeepalive(interval: Int) {
        libssh2_keepalive_config(raw, 1, UInt32(max(0, interval)))
    }

    /// Sends a keepalive if one is due; returns seconds until the next one.
    public func sendKeepalive() -> Int {
        var next: Int32 = 0
        _ = libssh2_keepalive_send(raw, &next)
        return Int(next)
    }

    /// Opens a session channel and starts `command` on it.
    public func exec(_ command: String, window: UInt32 = 8 << 20) throws(SSHError) -> SSHChannel {
        guard let channel = CLibSSH2_channel_open_session(raw, window, 32768) else {
            throw lastError(-1, as: .channel, context: "cannot open a session channel")
        }
        let rc = command.withCString { CLibSSH2_channel_exec(channel, $0, UInt32(strlen($0))) }
        guard rc == 0 else {
            libssh2_channel_free(channel)
            throw lastError(rc, as: .channel, context: "cannot start the remote command")
        }
        return SSHChannel(raw: channel, session: self)
    }

    /// An error with libssh2's last message.
    func lastError(_ rc: Int32, as code: SSHError.Code, context: String) -> SSHError {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let errorCode = libssh2_session_last_error(raw, &message, &length, 0)
        let detail = message.map { String(cString: $0) } ?? ""
        let resolved: SSHError.Code
        if errorCode == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_TIMEOUT {
            resolved = .timeout
        } else if errorCode == LIBSSH2_ERROR_SOCKET_DISCONNECT || errorCode == LIBSSH2_ERROR_SOCKET_RECV {
            resolved = code == .authentication ? code : .closed
        } else {
            resolved = code
        }
        let suffix = detail.isEmpty ? "" : ": \(detail)"
        return SSHError(resolved, endpoint: endpoint, "\(context)\(suffix) (libssh2 \(errorCode))")
    }

    /// libssh2 1.10's host-key algorithms, known types first.
    static func hostKeyPreference(_ knownTypes: [String]) -> String? {
        let supported = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                         "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        var preferred: [String] = []
        for type in knownTypes {
            let algorithms = type == "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]
            for algorithm in algorithms where supported.contains(algorithm) && !preferred.contains(algorithm) {
                preferred.append(algorithm)
            }
        }
        guard !preferred.isEmpty else { return nil }
        return (preferred + supported.filter { !preferred.contains($0) }).joined(separator: ",")
    }

    private static func explainHandshake(_ error: SSHError) -> SSHError {
        guard error.code == .handshake else { return error }
        var explained = error
        explained.message += ". libssh2 1.10 offers curve25519-sha256, ecdh-sha2-nistp*, diffie-hellman-group14/16/18 kex, "
            + "aes*-ctr/aes*-cbc ciphers and hmac-sha2/hmac-sha1 MACs; it lacks chacha20-poly1305, AES-GCM, sntrup761 "
            + "and OpenSSH certificates. A server restricted to those cannot be reached."
        return explained
    }
}

@available(*, unavailable)
extension SSHSession: Sendable {}
