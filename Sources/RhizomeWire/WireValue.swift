/// A JSON-like value: module arguments and module results travel as these.
///
/// Keys of a map keep their insertion order, so output is stable.
public indirect enum WireValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([WireValue])
    case map([(String, WireValue)])

    public static func == (lhs: WireValue, rhs: WireValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): return a == b
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.map(a), .map(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let v): hasher.combine(v)
        case .int(let v): hasher.combine(v)
        // == treats every NaN as equal, so all NaNs must hash alike whatever their payload.
        case .double(let v): hasher.combine(v.isNaN ? .nan : v)
        case .string(let v): hasher.combine(v)
        case .bytes(let v): hasher.combine(v)
        case .list(let v): hasher.combine(v)
        case .map(let v):
            for (key, value) in v {
                hasher.combine(key)
                hasher.combine(value)
            }
        }
    }

    /// The value at `key` of a map, or nil.
    public subscript(key: String) -> WireValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.last(where: { $0.0 == key })?.1
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        case .string(let s): return Int64(s)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// Ansible's truthiness of module parameters (`yes`, `true`, `1`, `on`).
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s.lowercased() {
            case "yes", "true", "1", "on", "y", "t": return true
            case "no", "false", "0", "off", "n", "f": return false
            default: return nil
            }
        default: return nil
        }
    }

    public var listValue: [WireValue]? {
        if case .list(let l) = self { return l }
        return nil
    }

    public var mapValue: [(String, WireValue)]? {
        if case .map(let m) = self { return m }
        return nil
    }
}

extension WireValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: WireValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, WireValue)...) { self = .map(elements) }
    public init(nilLiteral: ()) { self = .null }
}

// MARK: Binary codec

extension WireValue {
    private enum Tag: UInt8 {
        case null = 0, `false` = 1, `true` = 2, int = 3, double = 4, string = 5, bytes = 6, list = 7, map = 8
    }

    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .null: writer.writeInteger(Tag.null.rawValue)
        case .bool(let b): writer.writeInteger(b ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let i):
            writer.writeInteger(Tag.int.rawValue)
            // zigzag, so small negatives stay short
            writer.writeVarint(UInt64(bitPattern: (i << 1) ^ (i >> 63)))
        case .double(let d):
            writer.writeInteger(Tag.double.rawValue)
            writer.writeInteger(d.bitPattern)
        case .string(let s):
            writer.writeInteger(Tag.string.rawValue)
            writer.writeString(s)
        case .bytes(let b):
            writer.writeInteger(Tag.bytes.rawValue)
            writer.writeByteString(b)
        case .list(let l):
            writer.writeInteger(Tag.list.rawValue)
            writer.writeLength(l.count)
            for element in l { element.encode(into: &writer) }
        case .map(let m):
            writer.writeInteger(Tag.map.rawValue)
            writer.writeLength(m.count)
            for (key, value) in m {
                writer.writeString(key)
                value.encode(into: &writer)
            }
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        try self.init(from: &reader, depth: 0)
    }

    private init(from reader: inout ByteReader, depth: Int) throws(WireError) {
        guard depth < FrameLimits.maxValueDepth else { throw WireError(.malformedMessage("value nested too deep")) }
        let raw = try reader.readInteger(as: UInt8.self)
        guard let tag = Tag(rawValue: raw) else { throw WireError(.malformedMessage("bad value tag \(raw)")) }
        switch tag {
        case .null: self = .null
        case .false: self = .bool(false)
        case .true: self = .bool(true)
        case .int:
            let zigzag = try reader.readVarint()
            self = .int(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
        case .double: self = .double(Double(bitPattern: try reader.readInteger(as: UInt64.self)))
        case .string: self = .string(try reader.readString())
        case .bytes: self = .bytes(try reader.readByteString())
        case .list:
            // Every element takes at least one byte, which bounds the count.
            let count = try reader.readLength(limit: reader.remaining)
            var elements: [WireValue] = []
            // A count is a claim: room grows with the elements that really arrive.
            elements.reserveCapacity(min(count, FrameLimits.maxReservedElements))
            for _ in 0 ..< count { elements.append(try WireValue(from: &reader, depth: depth + 1)) }
            self = .list(elements)
        case .map:
            let count = try reader.readLength(limit: reader.remaining / 2)
            var pairs: [(String, WireValue)] = []
            pairs.reserveCapacity(min(count, FrameLimits.maxReservedElements))
            for _ in 0 ..< count {
                let key = try reader.readString()
                pairs.append((key, try WireValue(from: &reader, depth: depth + 1)))
            }
            self = .map(pairs)
        }
    }
}
