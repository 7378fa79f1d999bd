import CLibSSH2

extension SSHSession {
    /// Opens a direct-tcpip channel to `host:port` as seen from the server (what
    /// ProxyJump does). In non-blocking mode returns nil while libssh2 waits for
    /// the socket; call again when it is ready.
    public func openDirectTCPIP(host: String, port: Int) throws(SSHError) -> SSHChannel? {
        if let channel = CLibSSH2_channel_direct_tcpip(raw, host, Int32(port)) {
            return SSHChannel(raw: channel, session: self)
        }
        let code = libssh2_session_last_errno(raw)
        if code == LIBSSH2_ERROR_EAGAIN { return nil }
        var error = lastError(code, as: .channel, context: "cannot open a forwarded connection to \(host):\(port)")
        if code == LIBSSH2_ERROR_CHANNEL_FAILURE {
            error.message += ". The server refused to forward: it may have AllowTcpForwarding off, or "
                + "\(host):\(port) is unreachable from it"
        }
        throw error
    }
}
