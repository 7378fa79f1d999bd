#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibSSH2
import RhizomeIO

/// One way to prove who we are.
public enum AuthMethod: Sendable {
    /// Keys held by the ssh-agent at `SSH_AUTH_SOCK`.
    case agent
    /// A private key file. `passphrase` is asked only if the key is encrypted.
    case identityFile(path: String, passphrase: @Sendable (_ path: String) -> String?)
    case password(String)
    /// A public key whose signatures are made elsewhere: by the controller's
    /// ssh-agent, asked over the mesh. The private key never comes here.
    case signer(PublicKeySigner)
}

/// Signs authentication challenges for one public key.
public struct PublicKeySigner: Sendable {
    /// The public key in SSH wire format.
    public var blob: [UInt8]
    /// For messages (the key's comment or file name).
    public var label: String
    /// Returns the SSH signature blob (string algorithm, string signature) of `data`.
    public var sign: @Sendable (_ data: [UInt8]) throws -> [UInt8]

    struct MalformedSignature: Error, CustomStringConvertible {
        var description: String
    }

    /// The signature inside an SSH signature blob (`string algorithm, string signature`),
    /// checked to be of `algorithm`: libssh2 1.10 names the signature after the blob it
    /// offered, so one made with another algorithm would only be refused by the server.
    static func rawSignature(of blob: [UInt8], algorithm: String) throws -> [UInt8] {
        func length(at offset: Int) -> Int? {
            guard offset + 4 <= blob.count else { return nil }
            return Int(blob[offset]) << 24 | Int(blob[offset + 1]) << 16 | Int(blob[offset + 2]) << 8 | Int(blob[offset + 3])
        }
        guard let algorithmLength = length(at: 0), let signatureLength = length(at: 4 + algorithmLength),
              8 + algorithmLength + signatureLength == blob.count else {
            throw MalformedSignature(description: "the signer returned a malformed SSH signature blob")
        }
        let signed = String(decoding: blob[4 ..< 4 + algorithmLength], as: UTF8.self)
        guard signed == algorithm else {
            throw MalformedSignature(description: "the signer answered with an \(signed) signature, "
                                         + "not the \(algorithm) one the login names")
        }
        return Array(blob[(8 + algorithmLength)...])
    }

    public init(blob: [UInt8], label: String, sign: @escaping @Sendable (_ data: [UInt8]) throws -> [UInt8]) {
        self.blob = blob
        self.label = label
        self.sign = sign
    }
}

/// Carries a signer through libssh2's `void **abstract`.
private final class SignerContext {
    let signer: PublicKeySigner
    let algorithm: String
    var failure: String?
    init(_ signer: PublicKeySigner, algorithm: String) {
        self.signer = signer
        self.algorithm = algorithm
    }
}

/// libssh2's sign callback: hands the data to the signer and returns the raw
/// signature, in memory libssh2 frees (malloc, libssh2's default allocator).
/// libssh2 1.10 adds the algorithm name itself, so the signer's SSH signature
/// blob (string algorithm, string signature) is unwrapped here.
private let signCallback: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<Int>?,
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Int32 = { _, signature, signatureLength, data, dataLength, abstract in
    guard let signature, let signatureLength, let raw = abstract?.pointee else { return -1 }
    let context = Unmanaged<SignerContext>.fromOpaque(raw).takeUnretainedValue()
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: dataLength)) } ?? []
    do {
        let blob = try PublicKeySigner.rawSignature(of: try context.signer.sign(input), algorithm: context.algorithm)
        guard let memory = malloc(max(1, blob.count))?.assumingMemoryBound(to: UInt8.self) else { return -1 }
        blob.withUnsafeBufferPointer { memory.update(from: $0.baseAddress!, count: blob.count) }
        signature.pointee = memory
        signatureLength.pointee = blob.count
        return 0
    } catch {
        context.failure = "\(error)"
        return -1
    }
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
                if rc == LIBSSH2_ERROR_FILE {
                    tried.append("\(path) (unreadable or unsupported key format)")
                } else if Self.privateKeyType(path) == "ssh-rsa" {
                    tried.append("\(path) (refused; libssh2 1.10 signs a key file with RSA/SHA-1 (ssh-rsa), which OpenSSH 8.8 "
                                     + "and later refuse by default: sign through an ssh-agent, or use an ed25519 or ECDSA key)")
                } else {
                    tried.append("\(path) (refused)")
                }
            case .signer(let signer):
                let type = PublicKeyBlob.type(of: signer.blob) ?? "?"
                if let reason = PublicKeyBlob.unsupportedReason(forType: type) {
                    // Not offered: the server would count a login libssh2 cannot complete as a failure.
                    tried.append("\(signer.label) (not offered: \(reason))")
                    continue
                }
                let context = SignerContext(signer, algorithm: PublicKeyBlob.signatureAlgorithm(forType: type))
                var abstract: UnsafeMutableRawPointer? = Unmanaged.passUnretained(context).toOpaque()
                let rc = withExtendedLifetime(context) {
                    signer.blob.withUnsafeBufferPointer { blob in
                        libssh2_userauth_publickey(raw, user, blob.baseAddress, blob.count, signCallback, &abstract)
                    }
                }
                if rc == 0 { return }
                if rc == LIBSSH2_ERROR_TIMEOUT { throw lastError(rc, as: .timeout, context: "authentication timed out") }
                if let failure = context.failure {
                    tried.append("\(signer.label) (signing failed: \(failure))")
                } else if type == "ssh-rsa" {
                    tried.append("\(signer.label) (refused; signed as ssh-rsa, RSA/SHA-1, which OpenSSH 8.8 and later "
                                     + "refuse by default)")
                } else {
                    tried.append("\(signer.label) (refused)")
                }
            case .password(let secret):
                let rc = libssh2_userauth_password_ex(raw, user, UInt32(user.utf8.count), secret, UInt32(secret.utf8.count), nil)
                if rc == 0 { return }
                tried.append("password (refused)")
            }
        }
        let triedText = tried.isEmpty ? "no usable method" : tried.joined(separator: ", ")
        throw SSHError(.authentication, endpoint: endpoint,
                       "user \(user): tried \(triedText); server allows \(serverMethods.isEmpty ? "?" : serverMethods)")
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

    /// The armour line of an OpenSSH key file. Spelled in two parts so that
    /// secret scanners do not mistake this source for a key.
    static let openSSHKeyHeader = "-----BEGIN OPENSSH " + "PRIVATE KEY"

    /// The key type of a private key file (`ssh-rsa`, `ssh-ed25519`, …), if it can tell.
    static func privateKeyType(_ path: String) -> String? {
        if let blob = PublicKeyBlob.read(identityFile: path) { return PublicKeyBlob.type(of: blob) }
        guard let bytes = try? readPrefix(of: path, count: 64) else { return nil }
        let first = String(decoding: bytes, as: UTF8.self)
        if first.hasPrefix("-----BEGIN RSA") { return "ssh-rsa" }
        if first.hasPrefix("-----BEGIN EC") { return "ecdsa" }
        return nil
    }

    static func readPrefix(of path: String, count: Int) throws -> [UInt8] {
        guard let file = fopen(path, "r") else { throw Errno.current("fopen") }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = fread(&buffer, 1, count, file)
        return Array(buffer.prefix(n))
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
        if lines.first?.hasPrefix(openSSHKeyHeader) == true {
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
