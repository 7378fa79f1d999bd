/// SSH public key blobs (`string type, …`, RFC 4253 §6.6) as libssh2 1.10 uses
/// them for publickey authentication.
///
/// libssh2 1.10 takes the algorithm it names in the request (and in front of
/// the signature) from the blob's first string. OpenSSH reads the blob's type
/// with `sshkey_type_from_name`, which maps the signature-only names
/// `rsa-sha2-256` and `rsa-sha2-512` to a plain RSA key, and then checks that
/// the request's algorithm is the blob's key type. So an RSA blob whose first
/// string is `rsa-sha2-512` makes libssh2 1.10 ask for an RSA/SHA-512 login,
/// which OpenSSH 7.2 and later accept, instead of `ssh-rsa` (SHA-1), which 8.8
/// and later refuse by default.
public enum PublicKeyBlob {
    /// RSA signature algorithms, by preference: SHA-512, SHA-256, then SHA-1.
    public static let rsaAlgorithms = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]

    /// The blob's first string: its key type, or the RSA signature algorithm it was renamed to.
    public static func type(of blob: [UInt8]) -> String? {
        guard let length = typeLength(of: blob), length > 0 else { return nil }
        return String(decoding: blob[4 ..< 4 + length], as: UTF8.self)
    }

    /// `blob` with its first string replaced by `type` (the key's fields unchanged).
    public static func renamed(_ blob: [UInt8], to type: String) -> [UInt8]? {
        guard let length = typeLength(of: blob) else { return nil }
        let name = Array(type.utf8)
        let count = UInt32(name.count)
        return [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            + name + blob[(4 + length)...]
    }

    /// The algorithm of the signature a server expects for a login with a blob of this type:
    /// the type itself, except for ECDSA certificates, whose signatures libssh2 1.10
    /// names after the plain key (as OpenSSH expects).
    public static func signatureAlgorithm(forType type: String) -> String {
        for curve in ["nistp256", "nistp384", "nistp521"] where type == "ecdsa-sha2-\(curve)-cert-v01@openssh.com" {
            return "ecdsa-sha2-\(curve)"
        }
        return type
    }

    /// Why libssh2 1.10 cannot log in with a key of this type; nil when it can.
    ///
    /// It names every signature after the blob's type (ECDSA certificates aside), and
    /// OpenSSH wants `ssh-ed25519` or an `rsa-sha2-*` name in front of a certificate's
    /// signature, so Ed25519 and RSA certificates are refused. Security-key (`sk-`) signatures
    /// carry flags and a counter after the signature, where libssh2 1.10 puts nothing.
    public static func unsupportedReason(forType type: String) -> String? {
        if type.hasSuffix("-cert-v01@openssh.com") && signatureAlgorithm(forType: type) == type {
            return "an OpenSSH certificate (\(type)); libssh2 1.10 can log in with ECDSA certificates only: "
                + "use the plain key, or an ECDSA key and certificate"
        }
        if type.hasPrefix("sk-") {
            return "a FIDO security key (\(type)), which libssh2 1.10 cannot sign with: use an ed25519, ECDSA or RSA key"
        }
        return nil
    }

    /// The public key blob of the private key file at `path`: from `path.pub`, else from the
    /// file itself when it is in OpenSSH's format, which keeps the public key in clear even
    /// when the private part is encrypted. Nil for a PEM file without a `.pub`.
    public static func read(identityFile path: String) -> [UInt8]? {
        if let line = try? SSHSession.readPrefix(of: path + ".pub", count: 1 << 16) {
            let fields = String(decoding: line, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if fields.count >= 2, let blob = Base64.decode(String(fields[1])) { return blob }
        }
        guard let bytes = try? SSHSession.readPrefix(of: path, count: 1 << 16) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
        guard lines.first?.hasPrefix(SSHSession.openSSHKeyHeader) == true,
              let decoded = Base64.decode(lines.filter { !$0.hasPrefix("-----") }.joined()),
              decoded.starts(with: Array("openssh-key-v1\0".utf8)) else { return nil }
        // After the magic: string cipher, string kdf, string kdf options, uint32 key count, string public key.
        var offset = 15
        func string() -> [UInt8]? {
            guard offset + 4 <= decoded.count else { return nil }
            let length = Int(decoded[offset]) << 24 | Int(decoded[offset + 1]) << 16 | Int(decoded[offset + 2]) << 8 | Int(decoded[offset + 3])
            guard offset + 4 + length <= decoded.count else { return nil }
            defer { offset += 4 + length }
            return Array(decoded[offset + 4 ..< offset + 4 + length])
        }
        guard string() != nil, string() != nil, string() != nil, offset + 4 <= decoded.count else { return nil }
        offset += 4
        guard let blob = string(), type(of: blob) != nil else { return nil }
        return blob
    }

    private static func typeLength(of blob: [UInt8]) -> Int? {
        guard blob.count >= 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        return 4 + length <= blob.count ? length : nil
    }
}
