/// Child → parent: send the payload named by `digest` (SHA-256). The stream id
/// names the transfer; chunks, errors and credits of it carry the same id.
public struct PayloadRequest: WireMessage, Hashable {
    public static let messageType = MessageType.payloadRequest
    public var digest: [UInt8]
    /// Bytes the parent may send before it waits for `PayloadCredit`.
    public var window: UInt64

    public init(digest: [UInt8], window: UInt64) {
        self.digest = digest
        self.window = window
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        digest = try reader.readDigest()
        window = try reader.readInteger()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeBytes(digest)
        writer.writeInteger(window)
    }
}

/// Parent → child: bytes `offset ..< offset + originalLength` of a payload,
/// LZ4-compressed when that made them smaller.
public struct PayloadChunk: WireMessage, Hashable {
    public static let messageType = MessageType.payloadChunk

    public enum Encoding: UInt8, Sendable { case raw = 0, lz4 = 1 }

    /// Largest chunk, before compression. Sized so a chunk and its header fit one frame.
    public static let maxSize = FrameLimits.chunkPayload - 128

    public var digest: [UInt8]
    public var totalSize: UInt64
    public var offset: UInt64
    public var encoding: Encoding
    public var originalLength: UInt32
    public var data: [UInt8]

    public init(digest: [UInt8], totalSize: UInt64, offset: UInt64, encoding: Encoding, originalLength: UInt32, data: [UInt8]) {
        self.digest = digest
        self.totalSize = totalSize
        self.offset = offset
        self.encoding = encoding
        self.originalLength = originalLength
        self.data = data
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        digest = try reader.readDigest()
        totalSize = try reader.readInteger()
        offset = try reader.readInteger()
        let raw = try reader.readInteger(as: UInt8.self)
        guard let encoding = Encoding(rawValue: raw) else { throw WireError(.malformedMessage("bad chunk encoding \(raw)")) }
        self.encoding = encoding
        originalLength = try reader.readInteger()
        guard originalLength <= UInt32(PayloadChunk.maxSize) else {
            throw WireError(.malformedMessage("chunk of \(originalLength) bytes over \(PayloadChunk.maxSize)"))
        }
        guard offset <= totalSize, UInt64(originalLength) <= totalSize - offset else {
            throw WireError(.malformedMessage("chunk outside its payload"))
        }
        data = try reader.readByteString()
        guard encoding == .lz4 || data.count == Int(originalLength) else {
            throw WireError(.malformedMessage("raw chunk length differs from its announced length"))
        }
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeBytes(digest)
        writer.writeInteger(totalSize)
        writer.writeInteger(offset)
        writer.writeInteger(encoding.rawValue)
        writer.writeInteger(originalLength)
        writer.writeByteString(data)
    }
}

/// Parent → child: the transfer failed.
public struct PayloadError: WireMessage, Hashable {
    public static let messageType = MessageType.payloadError
    public var digest: [UInt8]
    public var message: String

    public init(digest: [UInt8], message: String) {
        self.digest = digest
        self.message = message
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        digest = try reader.readDigest()
        message = try reader.readString()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeBytes(digest)
        writer.writeString(message)
    }
}

/// Child → parent: `bytes` more of the transfer may be sent.
public struct PayloadCredit: WireMessage, Hashable {
    public static let messageType = MessageType.payloadCredit
    public var bytes: UInt64

    public init(bytes: UInt64) { self.bytes = bytes }
    public init(from reader: inout ByteReader) throws(WireError) { bytes = try reader.readInteger() }
    public func encode(into writer: inout ByteWriter) { writer.writeInteger(bytes) }
}

/// Controller → relay: report the links to your children.
public struct StatsRequest: WireMessage, Hashable {
    public static let messageType = MessageType.statsRequest
    public init() {}
    public init(from reader: inout ByteReader) throws(WireError) {}
    public func encode(into writer: inout ByteWriter) {}
}

/// Figures of one link, seen from its parent end.
public struct LinkReport: Hashable, Sendable {
    public var child: NodeID
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var payloadBytesSent: UInt64
    public var payloadBytesReceived: UInt64
    public var framesSent: UInt64
    public var framesReceived: UInt64
    public var bootstrapBytesSent: UInt64
    /// Payload transfers served to the child, and how many of them came from this node's cache.
    public var payloadsServed: UInt64
    public var payloadsFromCache: UInt64

    public init(child: NodeID, bytesSent: UInt64 = 0, bytesReceived: UInt64 = 0, payloadBytesSent: UInt64 = 0,
                payloadBytesReceived: UInt64 = 0, framesSent: UInt64 = 0, framesReceived: UInt64 = 0,
                bootstrapBytesSent: UInt64 = 0, payloadsServed: UInt64 = 0, payloadsFromCache: UInt64 = 0) {
        self.child = child
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.payloadBytesSent = payloadBytesSent
        self.payloadBytesReceived = payloadBytesReceived
        self.framesSent = framesSent
        self.framesReceived = framesReceived
        self.bootstrapBytesSent = bootstrapBytesSent
        self.payloadsServed = payloadsServed
        self.payloadsFromCache = payloadsFromCache
    }
}

/// Relay → controller: figures of the links to its children.
public struct StatsReport: WireMessage, Hashable {
    public static let messageType = MessageType.statsReport
    public var links: [LinkReport]

    public init(links: [LinkReport]) { self.links = links }

    public init(from reader: inout ByteReader) throws(WireError) {
        let count = try reader.readLength(limit: reader.remaining / 8)
        var links: [LinkReport] = []
        for _ in 0 ..< count {
            links.append(LinkReport(
                child: NodeID(try reader.readInteger(as: UInt32.self)),
                bytesSent: try reader.readInteger(), bytesReceived: try reader.readInteger(),
                payloadBytesSent: try reader.readInteger(), payloadBytesReceived: try reader.readInteger(),
                framesSent: try reader.readInteger(), framesReceived: try reader.readInteger(),
                bootstrapBytesSent: try reader.readInteger(), payloadsServed: try reader.readInteger(),
                payloadsFromCache: try reader.readInteger()))
        }
        self.links = links
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeLength(links.count)
        for link in links {
            writer.writeInteger(link.child.rawValue)
            for value in [link.bytesSent, link.bytesReceived, link.payloadBytesSent, link.payloadBytesReceived,
                          link.framesSent, link.framesReceived, link.bootstrapBytesSent, link.payloadsServed,
                          link.payloadsFromCache] {
                writer.writeInteger(value)
            }
        }
    }
}

extension ByteReader {
    /// A 32-byte SHA-256 digest.
    public mutating func readDigest() throws(WireError) -> [UInt8] {
        try readBytes(count: 32)
    }
}
