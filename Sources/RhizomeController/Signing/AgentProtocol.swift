/// The part of the ssh-agent protocol the signer speaks (draft-miller-ssh-agent,
/// OpenSSH's PROTOCOL.agent). Every message is `uint32 length, byte type, contents`;
/// strings are `uint32 length, bytes`. Pure encoding and decoding: no I/O.
enum AgentProtocol {
    static let failure: UInt8 = 5
    static let requestIdentities: UInt8 = 11
    static let identitiesAnswer: UInt8 = 12
    static let signRequest: UInt8 = 13
    static let signResponse: UInt8 = 14

    /// Sign request flags asking for an RSA signature with SHA-256 or SHA-512
    /// (`rsa-sha2-256`, `rsa-sha2-512`) instead of the SHA-1 `ssh-rsa`.
    static let rsaSHA2_256: UInt32 = 2
    static let rsaSHA2_512: UInt32 = 4

    /// OpenSSH's agent drops a client whose message is longer (AGENT_MAX_LEN);
    /// a longer reply is not from a sane agent either.
    static let maximumMessageLength = 256 * 1024
    /// An identities answer cannot hold more keys than this and stay under the limit;
    /// a larger count is a corrupt reply, not a reason to allocate.
    static let maximumIdentities = maximumMessageLength / 8

    /// A key held by an agent.
    struct Identity: Hashable, Sendable {
        var blob: [UInt8]
        var comment: String
    }

    enum Reply: Hashable, Sendable {
        case identities([Identity])
        /// The signature blob: `string algorithm, string signature`.
        case signature([UInt8])
        case failure
    }

    /// A reply the protocol does not allow.
    struct Malformed: Error, Hashable, Sendable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// SSH2_AGENTC_REQUEST_IDENTITIES, framed.
    static func requestIdentitiesMessage() -> [UInt8] {
        frame(type: requestIdentities, contents: [])
    }

    /// SSH2_AGENTC_SIGN_REQUEST, framed: `string key blob, string data, uint32 flags`.
    ///
    /// Flags 0 asks for the key type's default algorithm: ssh-rsa (SHA-1) for RSA keys.
    static func signRequestMessage(blob: [UInt8], data: [UInt8], flags: UInt32 = 0) -> [UInt8] {
        var contents: [UInt8] = []
        contents.reserveCapacity(12 + blob.count + data.count)
        appendString(blob, to: &contents)
        appendString(data, to: &contents)
        appendUInt32(flags, to: &contents)
        return frame(type: signRequest, contents: contents)
    }

    /// The length announced by a message's 4-byte header.
    static func bodyLength(header: [UInt8]) throws(Malformed) -> Int {
        precondition(header.count == 4)
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length >= 1 else { throw Malformed("empty message") }
        guard length <= maximumMessageLength else {
            throw Malformed("message of \(length) bytes, over the \(maximumMessageLength)-byte limit")
        }
        return length
    }

    /// Decodes a reply's body (type byte and contents, without the length).
    static func decodeReply(_ body: [UInt8]) throws(Malformed) -> Reply {
        guard let type = body.first else { throw Malformed("empty message") }
        var reader = AgentWireReader(body[1...])
        switch type {
        case failure:
            return .failure
        case identitiesAnswer:
            let count = try reader.uint32()
            guard count <= maximumIdentities else { throw Malformed("identities answer claims \(count) keys") }
            var identities: [Identity] = []
            for _ in 0 ..< count {
                let blob = try reader.string()
                let comment = try reader.string()
                identities.append(Identity(blob: blob, comment: String(decoding: comment, as: UTF8.self)))
            }
            try reader.expectEnd("identities answer")
            return .identities(identities)
        case signResponse:
            let signature = try reader.string()
            try reader.expectEnd("sign response")
            // Check the shape libssh2 expects, so a bad blob fails here, named, not inside libssh2.
            var inner = AgentWireReader(signature[...])
            guard let algorithm = try? inner.string(), !algorithm.isEmpty, (try? inner.string()) != nil, inner.isAtEnd else {
                throw Malformed("sign response does not hold `string algorithm, string signature`")
            }
            return .signature(signature)
        default:
            throw Malformed("unexpected message type \(type)")
        }
    }

    private static func frame(type: UInt8, contents: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(5 + contents.count)
        appendUInt32(UInt32(1 + contents.count), to: &message)
        message.append(type)
        message.append(contentsOf: contents)
        return message
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    private static func appendString(_ value: [UInt8], to bytes: inout [UInt8]) {
        appendUInt32(UInt32(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }
}

/// Reads SSH wire types (RFC 4251 §5) from a byte buffer.
struct AgentWireReader {
    private let bytes: ArraySlice<UInt8>
    private var offset: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    var isAtEnd: Bool { offset == bytes.endIndex }

    mutating func uint32() throws(AgentProtocol.Malformed) -> UInt32 {
        guard bytes.endIndex - offset >= 4 else { throw AgentProtocol.Malformed("truncated message") }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func string() throws(AgentProtocol.Malformed) -> [UInt8] {
        let length = Int(try uint32())
        guard bytes.endIndex - offset >= length else { throw AgentProtocol.Malformed("truncated message") }
        defer { offset += length }
        return Array(bytes[offset ..< offset + length])
    }

    func expectEnd(_ what: String) throws(AgentProtocol.Malformed) {
        guard isAtEnd else { throw AgentProtocol.Malformed("\(bytes.endIndex - offset) stray bytes after the \(what)") }
    }
}
