import CLibSSH2

/// A channel running a remote command. Used from the thread that owns its session.
public final class SSHChannel {
    let raw: OpaquePointer
    /// Keeps the session alive as long as the channel.
    public let session: SSHSession

    init(raw: OpaquePointer, session: SSHSession) {
        self.raw = raw
        self.session = session
    }

    deinit {
        libssh2_channel_free(raw)
    }

    /// Result of a read.
    public enum ReadResult: Equatable {
        case data([UInt8])
        /// Non-blocking mode only: nothing now.
        case wouldBlock
        case eof
    }

    /// Reads stdout (`stderr: false`) or stderr.
    public func read(max: Int = 64 << 10, stderr: Bool = false) throws(SSHError) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) {
                stderr ? CLibSSH2_channel_read_stderr(raw, $0.baseAddress, $0.count)
                    : CLibSSH2_channel_read(raw, $0.baseAddress, $0.count)
            }
        }
        if n > 0 {
            buffer.removeSubrange(n...)
            return .data(buffer)
        }
        if n == Int(LIBSSH2_ERROR_EAGAIN) { return .wouldBlock }
        if n == 0 {
            return libssh2_channel_eof(raw) != 0 ? .eof : (session.isBlocking ? .eof : .wouldBlock)
        }
        throw session.lastError(Int32(n), as: .channel, context: "reading from the remote command failed")
    }

    /// Writes what the channel takes now; returns the count (0 = would block).
    public func write(_ bytes: ArraySlice<UInt8>) throws(SSHError) -> Int {
        if bytes.isEmpty { return 0 }
        let n = bytes.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { CLibSSH2_channel_write(raw, $0.baseAddress, $0.count) }
        }
        if n >= 0 { return n }
        if n == Int(LIBSSH2_ERROR_EAGAIN) { return 0 }
        throw session.lastError(Int32(n), as: .channel, context: "writing to the remote command failed")
    }

    /// Blocking mode: writes everything.
    public func writeAll(_ bytes: [UInt8]) throws(SSHError) {
        var offset = 0
        while offset < bytes.count {
            let n = try write(bytes[offset...])
            if n == 0 && session.isBlocking {
                throw SSHError(.timeout, endpoint: session.endpoint, "writing to the remote command timed out")
            }
            offset += n
        }
    }

    /// Signals end of input to the remote command.
    public func sendEOF() {
        _ = libssh2_channel_send_eof(raw)
    }

    public var isEOF: Bool { libssh2_channel_eof(raw) != 0 }

    /// Exit status, once the remote command ended.
    public var exitStatus: Int32 { libssh2_channel_get_exit_status(raw) }

    public func close() {
        _ = libssh2_channel_close(raw)
    }
}

@available(*, unavailable)
extension SSHChannel: Sendable {}
