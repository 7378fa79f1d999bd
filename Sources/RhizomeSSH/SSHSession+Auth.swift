#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibSSH2

/// One way to prove who we are.
public enum AuthMethod: Sendable {
    /// Keys held by the ssh-agent at `SSH_AUTH_SOCK`.
    case agent
    /// A private key file. `passphrase` is asked only if the key is encrypted.
    case identityFile(path: String, passphrase: @Sendable (_ path: String) -> String?)
    case password(String)
}

extension SSHSession {
    /// Authenticates as `user`, trying `methods` in order.
    public func authenticate(user: String, methods: [AuthMethod]) throws(SSHError) {
        setUser(user)
        var tried: [String] = []
        let serverMethods = allowedMethods(user: user)
        if libssh2_userauth_authenticated(raw) != 0 { return }  // "none" was accepted
        for method in methods {
            switch method {
            case .agent:
                if let outcome = authenticateWithAgent(user: user) {
                    if outcome.success { return }
                    tried.append(outcome.description)
                }
            case .identityFile(let path, let passphrase):
                guard access(path, R_OK) == 0 else {
                    tried.append("\(path) (cannot read: \(String(cString: strerror(errno))))")
                    continue
                }
                var rc = libssh2_userauth_publickey_fromfile_ex(raw, user, UInt32(user.utf8.count), nil, path, nil)
                if rc == 0 { return }
                if rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_KEYFILE_AUTH_FAILED && Self.isEncrypted(path) {
                    // Possibly encrypted: ask for the passphrase once.
                    if let secret = passphrase(path) {
                        rc = libssh2_userauth_publickey_fromfile_ex(raw, user, UInt32(user.utf8.count), nil, path, secret)
                        if rc == 0 { return }
                        tried.append("\(path) (\(rc == LIBSSH2_ERROR_FILE ? "wrong passphrase or unsupported key format" : "refused"))")
                    } else {
                        tried.append("\(path) (encrypted, no passphrase given: set RHIZOME_SSH_PASSPHRASE or run on a terminal)")
                    }
                    continue
                }
                if rc == LIBSSH2_ERROR_TIMEOUT { throw lastError(rc, as: .timeout, context: "authentication timed out") }
                if rc == LIBSSH2_ERROR_SOCKET_DISCONNECT { throw lastError(rc, as: .closed, context: "server closed the connection during authentication") }
                tried.append("\(path) (\(rc == LIBSSH2_ERROR_FILE ? "unreadable or unsupported key format" : "refused"))")
            case .password(let secret):
                let rc = libssh2_userauth_password_ex(raw, user, UInt32(user.utf8.count), secret, UInt32(secret.utf8.count), nil)
                if rc == 0 { return }
                tried.append("password (refused)")
            }
        }
        let triedText = tried.isEmpty ? "no usable method" : tried.joined(separator: ", ")
        throw SSHError(.authentication, endpoint: endpoint,
                       "authentication failed for user \(user): tried \(triedText); server allows \(serverMethods.isEmpty ? "?" : serverMethods)")
    }

    private func allowedMethods(user: String) -> String {
        guard let list = libssh2_userauth_list(raw, user, UInt32(user.utf8.count)) else { return "" }
        return String(cString: list)
    }

    private struct AgentOutcome: CustomStringConvertible {
        var success: Bool
        var description: String
    }

    private func authenticateWithAgent(user: String) -> AgentOutcome? {
        guard let socketPath = getenv("SSH_AUTH_SOCK"), socketPath.pointee != 0 else { return nil }
        guard let agent = libssh2_agent_init(raw) else { return AgentOutcome(success: false, description: "ssh-agent (cannot initialise)") }
        defer {
            libssh2_agent_disconnect(agent)
            libssh2_agent_free(agent)
        }
        guard libssh2_agent_connect(agent) == 0 else {
            return AgentOutcome(success: false, description: "ssh-agent at \(String(cString: socketPath)) (cannot connect)")
        }
        guard libssh2_agent_list_identities(agent) == 0 else {
            return AgentOutcome(success: false, description: "ssh-agent (cannot list keys)")
        }
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var count = 0
        while libssh2_agent_get_identity(agent, &identity, previous) == 0, let current = identity {
            count += 1
            if libssh2_agent_userauth(agent, user, current) == 0 {
                return AgentOutcome(success: true, description: "ssh-agent")
            }
            previous = current
        }
        return AgentOutcome(success: false, description: "ssh-agent (\(count) key\(count == 1 ? "" : "s") refused)")
    }

    /// True when the key file looks passphrase-protected.
    static func isEncrypted(_ path: String) -> Bool {
        guard let file = fopen(path, "r") else { return false }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = fread(&buffer, 1, buffer.count, file)
        let text = String(decoding: buffer.prefix(n), as: UTF8.self)
        let lines = text.split(separator: "\n")
        // PEM keys: "Proc-Type: 4,ENCRYPTED" or "BEGIN ENCRYPTED PRIVATE KEY".
        if lines.contains(where: { $0.hasPrefix("Proc-Type:") && $0.hasSuffix("ENCRYPTED") || $0.hasPrefix("-----BEGIN ENCRYPTED") }) {
            return true
        }
        // openssh-key-v1: the cipher name follows the magic; "none" means clear.
        if lines.first?.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY") == true {
            let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            if let decoded = Base64.decode(body), decoded.count > 19 {
                let cipherLength = Int(decoded[15]) << 24 | Int(decoded[16]) << 16 | Int(decoded[17]) << 8 | Int(decoded[18])
                if cipherLength > 0, 19 + cipherLength <= decoded.count {
                    return String(decoding: decoded[19 ..< 19 + cipherLength], as: UTF8.self) != "none"
                }
            }
        }
        return false
    }
}
