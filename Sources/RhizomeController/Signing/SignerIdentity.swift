/// A public key the controller can sign with, as offered to SSH servers.
public struct SignerIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The public key in SSH wire format (`string type, …`).
    public var blob: [UInt8]
    /// The key type from the blob: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    public var type: String
    /// The identity file's path, or the comment the user's agent has for the key.
    public var label: String

    public init(blob: [UInt8], type: String, label: String) {
        self.blob = blob
        self.type = type
        self.label = label
    }

    /// Reads the key type from the start of `blob`; nil when the blob is malformed.
    static func keyType(of blob: [UInt8]) -> String? {
        var reader = AgentWireReader(blob)
        guard let type = try? reader.string(), !type.isEmpty else { return nil }
        return String(decoding: type, as: UTF8.self)
    }

    public var description: String { "\(type) \(label)" }
}
