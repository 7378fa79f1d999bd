/// Reads big-endian integers, varints and length-prefixed fields from a message
/// body. Every read is bounds-checked and throws `malformedMessage` when short.
public struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.endIndex - index }

    public mutating func readInteger<T: FixedWidthInteger>(as: T.Type = T.self) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw WireError(.malformedMessage("short read of \(size)-byte integer")) }
        var value: T = 0
        for byte in bytes[index ..< index + size] {
            // Truncating: for Int8, T(byte) would trap on bytes over 0x7F.
            value = (value << 8) | T(truncatingIfNeeded: byte)
        }
        index += size
        return value
    }

    /// LEB128 unsigned varint, at most 10 bytes.
    public mutating func readVarint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard remaining > 0 else { throw WireError(.malformedMessage("short varint")) }
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw WireError(.malformedMessage("varint overflows 64 bits")) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw WireError(.malformedMessage("varint too long")) }
        }
    }

    /// A varint that must fit `limit`; used for counts and lengths.
    public mutating func readLength(limit: Int = FrameLimits.maxMessage) throws(WireError) -> Int {
        let value = try readVarint()
        guard value <= UInt64(limit) else { throw WireError(.malformedMessage("length \(value) over limit \(limit)")) }
        return Int(value)
    }

    public mutating func readBytes(count: Int) throws(WireError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw WireError(.malformedMessage("short read of \(count) bytes")) }
        defer { index += count }
        return Array(bytes[index ..< index + count])
    }

    /// Length-prefixed bytes.
    public mutating func readByteString() throws(WireError) -> [UInt8] {
        let count = try readLength()
        return try readBytes(count: count)
    }

    /// Length-prefixed UTF-8; invalid sequences are repaired, never trusted.
    public mutating func readString() throws(WireError) -> String {
        String(decoding: try readByteString(), as: UTF8.self)
    }

    public mutating func readBool() throws(WireError) -> Bool {
        switch try readInteger(as: UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw WireError(.malformedMessage("bad boolean \(other)"))
        }
    }

    /// Throws unless every byte was consumed.
    public func expectEnd() throws(WireError) {
        guard remaining == 0 else { throw WireError(.malformedMessage("\(remaining) trailing bytes")) }
    }
}

/// Builds a message body. The mirror of `ByteReader`.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        bytes.appendBigEndian(value)
    }

    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func writeLength(_ value: Int) {
        writeVarint(UInt64(value))
    }

    public mutating func writeBytes<Bytes: Collection>(_ value: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: value)
    }

    public mutating func writeByteString<Bytes: Collection>(_ value: Bytes) where Bytes.Element == UInt8 {
        writeLength(value.count)
        bytes.append(contentsOf: value)
    }

    public mutating func writeString(_ value: String) {
        writeByteString(value.utf8)
    }

    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }
}
