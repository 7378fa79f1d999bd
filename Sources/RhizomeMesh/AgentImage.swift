import RhizomeStore

/// The agent executable, as sent to targets.
public final class AgentImage: Sendable {
    public let bytes: [UInt8]
    public let digest: Digest
    /// gzip of `bytes`, for targets that have `gzip`.
    public let gzipped: [UInt8]?

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        self.digest = Digest.sha256(bytes)
        self.gzipped = try? Gzip.compress(bytes, level: 6)
    }
}
