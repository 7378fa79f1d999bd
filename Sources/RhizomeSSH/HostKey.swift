import CLibSSH2
import RhizomeStore

/// A server's public host key.
public struct HostKey: Hashable, Sendable {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    public var type: String
    /// The key in SSH wire format.
    public var blob: [UInt8]

    public init(type: String, blob: [UInt8]) {
        self.type = type
        self.blob = blob
    }

    /// OpenSSH-style fingerprint: `SHA256:` and unpadded base64.
    public var fingerprint: String {
        "SHA256:" + Base64.encode(Digest.sha256(blob).bytes, padding: false)
    }

    /// The key as it appears in known_hosts: `type base64`.
    public var knownHostsText: String { "\(type) \(Base64.encode(blob))" }

    static func typeName(libssh2Type: Int32) -> String {
        switch libssh2Type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa"
        case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384"
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521"
        case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519"
        default: return "unknown"
        }
    }
}
