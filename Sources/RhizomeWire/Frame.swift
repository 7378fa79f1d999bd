/// Bits of a frame's flags byte.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The payload is LZ4-compressed.
    public static let compressed = FrameFlags(rawValue: 0x01)
    /// More frames of the same message follow on this (source, stream).
    public static let more = FrameFlags(rawValue: 0x02)

    /// Every bit this version defines.
    public static let known: FrameFlags = [.compressed, .more]
}

/// The fixed-size header in front of every frame. All integers are big-endian.
///
///     0      2   3    4     5         6        10     14     18       22
///     | "RZ" | v | ty | flg | rsv = 0 | length | dest | src  | stream |
public struct FrameHeader: Hashable, Sendable {
    public var type: UInt8
    public var flags: FrameFlags
    public var length: UInt32
    public var destination: NodeID
    public var source: NodeID
    public var stream: UInt32

    public init(type: UInt8, flags: FrameFlags = [], length: UInt32, destination: NodeID, source: NodeID, stream: UInt32) {
        self.type = type
        self.flags = flags
        self.length = length
        self.destination = destination
        self.source = source
        self.stream = stream
    }

    /// Appends the 22 header bytes.
    public func write(into buffer: inout [UInt8]) {
        buffer.appendBigEndian(WireProtocol.magic)
        buffer.append(WireProtocol.version)
        buffer.append(type)
        buffer.append(flags.rawValue)
        buffer.append(0)
        buffer.appendBigEndian(length)
        buffer.appendBigEndian(destination.rawValue)
        buffer.appendBigEndian(source.rawValue)
        buffer.appendBigEndian(stream)
    }
}

/// One frame: a header and its payload.
public struct Frame: Hashable, Sendable {
    public var header: FrameHeader
    public var payload: [UInt8]

    public init(type: UInt8, flags: FrameFlags = [], destination: NodeID, source: NodeID, stream: UInt32, payload: [UInt8]) {
        precondition(payload.count <= FrameLimits.maxFramePayload, "frame payload over the hard limit")
        self.header = FrameHeader(type: type, flags: flags, length: UInt32(payload.count),
                                  destination: destination, source: source, stream: stream)
        self.payload = payload
    }

    init(header: FrameHeader, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }

    /// Appends the frame's bytes (header, then payload).
    public func write(into buffer: inout [UInt8]) {
        header.write(into: &buffer)
        buffer.append(contentsOf: payload)
    }

    /// The frame as bytes.
    public var bytes: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(FrameLimits.headerSize + payload.count)
        write(into: &buffer)
        return buffer
    }
}

extension Array where Element == UInt8 {
    @inlinable
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        Swift.withUnsafeBytes(of: &big) { append(contentsOf: $0) }
    }
}
