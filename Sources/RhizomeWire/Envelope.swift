/// A whole message with its addressing: what the layers above frames deal in.
public struct Envelope: Hashable, Sendable {
    public var type: UInt8
    public var destination: NodeID
    public var source: NodeID
    public var stream: UInt32
    /// The encoded message body (already decompressed, reassembled from chunks).
    public var body: [UInt8]

    public init(type: UInt8, destination: NodeID, source: NodeID, stream: UInt32, body: [UInt8]) {
        self.type = type
        self.destination = destination
        self.source = source
        self.stream = stream
        self.body = body
    }

    public init<M: WireMessage>(_ message: M, destination: NodeID, source: NodeID, stream: UInt32 = 0) {
        self.init(type: M.messageType.rawValue, destination: destination, source: source, stream: stream,
                  body: message.encodedBody)
    }

    /// The message type, or nil for a type this build does not know.
    public var messageType: MessageType? { MessageType(rawValue: type) }

    /// Decodes the body as `M`; throws if the type byte says otherwise.
    public func decode<M: WireMessage>(_: M.Type) throws(WireError) -> M {
        guard type == M.messageType.rawValue else {
            throw WireError(.malformedMessage("expected \(M.messageType), got type \(type)"))
        }
        return try M(body: body)
    }

    /// Cuts the envelope into frames of at most `FrameLimits.chunkPayload` bytes;
    /// all but the last carry the `more` flag.
    public func frames(chunkSize: Int = FrameLimits.chunkPayload) -> [Frame] {
        precondition(chunkSize > 0 && chunkSize <= FrameLimits.maxFramePayload)
        precondition(body.count <= FrameLimits.maxMessage, "message over the hard limit")
        if body.count <= chunkSize {
            return [Frame(type: type, destination: destination, source: source, stream: stream, payload: body)]
        }
        var frames: [Frame] = []
        var offset = 0
        while offset < body.count {
            let end = min(offset + chunkSize, body.count)
            frames.append(Frame(type: type, flags: end < body.count ? .more : [], destination: destination,
                                source: source, stream: stream, payload: Array(body[offset ..< end])))
            offset = end
        }
        return frames
    }

    /// The envelope's frames as one byte buffer, ready to write to a link.
    public func encodedFrames(chunkSize: Int = FrameLimits.chunkPayload) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.count + FrameLimits.headerSize * (1 + body.count / chunkSize))
        for frame in frames(chunkSize: chunkSize) { frame.write(into: &bytes) }
        return bytes
    }
}

/// Joins chunked frames back into envelopes.
///
/// Frames of different (source, stream) pairs may interleave; frames of one pair
/// arrive in order. A pair's partial message is capped at `FrameLimits.maxMessage`.
public struct MessageAssembler: Sendable {
    private struct Key: Hashable { var source: NodeID; var stream: UInt32; var type: UInt8 }
    private var partial: [Key: [UInt8]] = [:]
    /// Bytes held in `partial`.
    private var partialBytes = 0

    public init() {}

    /// Number of messages currently half-received.
    public var pendingCount: Int { partial.count }

    /// Feeds one frame; returns the envelope once its last frame arrived.
    /// Compressed frames must have been decompressed by the caller.
    public mutating func push(_ frame: Frame) throws(WireError) -> Envelope? {
        let header = frame.header
        let key = Key(source: header.source, stream: header.stream, type: header.type)
        if header.flags.contains(.more) || partial[key] != nil {
            var body = partial.removeValue(forKey: key) ?? []
            partialBytes -= body.count
            guard body.count + frame.payload.count <= FrameLimits.maxMessage else {
                throw WireError(.oversizedMessage(body.count + frame.payload.count))
            }
            body.append(contentsOf: frame.payload)
            if header.flags.contains(.more) {
                guard partial.count < FrameLimits.maxPartialMessages,
                      partialBytes + body.count <= FrameLimits.maxPartialBytes else {
                    throw WireError(.tooManyPartialMessages(count: partial.count + 1, bytes: partialBytes + body.count))
                }
                partial[key] = body
                partialBytes += body.count
                return nil
            }
            return Envelope(type: header.type, destination: header.destination, source: header.source,
                            stream: header.stream, body: body)
        }
        return Envelope(type: header.type, destination: header.destination, source: header.source,
                        stream: header.stream, body: frame.payload)
    }

    /// Drops partial messages from a node whose link went away.
    public mutating func forget(source: NodeID) {
        partial = partial.filter { $0.key.source != source }
        partialBytes = partial.values.reduce(0) { $0 + $1.count }
    }
}
