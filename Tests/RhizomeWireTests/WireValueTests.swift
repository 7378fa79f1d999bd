import RhizomeWire
import Testing

@Suite("WireValue")
struct WireValueTests {
    static func encoded(_ value: WireValue) -> [UInt8] {
        written { value.encode(into: &$0) }
    }

    static func decoded(_ bytes: [UInt8]) throws(WireError) -> WireValue {
        var reader = ByteReader(bytes)
        let value = try WireValue(from: &reader)
        try reader.expectEnd()
        return value
    }

    static let samples: [WireValue] = [
        .null, true, false, 0, 1, -1, 63, -64, 64, -65, .int(.max), .int(.min),
        .double(0), .double(-0.0), .double(0.1), .double(-1.5e300), .double(.leastNonzeroMagnitude),
        .double(.infinity), .double(-.infinity), .double(.nan),
        "", "plain", "quote \" backslash \\ newline \n nul \u{0}", "é ß 中文 😀 👩‍👩‍👧",
        .bytes([]), .bytes([0, 0x80, 0xFF]),
        [], [:], [[]], [[:]], ["k": [:]],
        [1, "two", .double(3), nil, true, ["nested": [1, [2, [3]]]]],
        ["b": 1, "a": 2, "b": 3], // order and repeated keys are kept
        ["": nil, "ключ": .bytes([1])],
    ]

    @Test("round trip", arguments: samples)
    func roundTrip(value: WireValue) throws {
        let bytes = Self.encoded(value)
        let decoded = try Self.decoded(bytes)
        #expect(decoded == value)
        #expect(Self.encoded(decoded) == bytes)
    }

    @Test("tags and encodings",
          arguments: [
              (.null, "00"), (false, "01"), (true, "02"),
              (0, "03 00"), (-1, "03 01"), (1, "03 02"), (-2, "03 03"), (63, "03 7e"), (-64, "03 7f"),
              (64, "03 8001"), (.int(.max), "03 feffffffffffffffff01"), (.int(.min), "03 ffffffffffffffffff01"),
              (.double(1.5), "04 3ff8000000000000"), (.double(-0.0), "04 8000000000000000"),
              ("hé", "05 03 68c3a9"), (.bytes([0xFF]), "06 01 ff"),
              ([], "07 00"), ([nil, true], "07 02 00 02"),
              ([:], "08 00"), (["a": 1], "08 01 0161 03 02"),
          ] as [(WireValue, String)])
    func encodings(value: WireValue, encoding: String) throws {
        #expect(Self.encoded(value) == hex(encoding))
        #expect(try Self.decoded(hex(encoding)) == value)
    }

    @Test("zigzag keeps small negative integers short")
    func zigzag() throws {
        for value in Int64(-64) ... 63 { #expect(Self.encoded(.int(value)).count == 2, "\(value)") }
        for value in [Int64(-8192), 8191] { #expect(Self.encoded(.int(value)).count == 3) }
        for value in [Int64(-8193), 8192] { #expect(Self.encoded(.int(value)).count == 4) }
        for shift in 0 ..< 63 {
            for value in [Int64(1) << shift, -(Int64(1) << shift), (Int64(1) << shift) - 1, -(Int64(1) << shift) - 1] {
                #expect(try Self.decoded(Self.encoded(.int(value))) == .int(value))
            }
        }
    }

    @Test("doubles keep their exact bits, NaN payloads and negative zero included")
    func doubleBits() throws {
        for bits: UInt64 in [0x8000_0000_0000_0000, 0x7FF8_0000_0000_0001, 0xFFF0_0000_0000_0001, 1, 0x7FEF_FFFF_FFFF_FFFF] {
            let decoded = try Self.decoded(Self.encoded(.double(Double(bitPattern: bits))))
            guard case .double(let d) = decoded else {
                Issue.record("not a double: \(decoded)")
                continue
            }
            #expect(d.bitPattern == bits)
        }
    }

    @Test("NaN equals NaN, and equal values hash alike")
    func nanEquality() {
        let quiet = WireValue.double(.nan)
        let other = WireValue.double(Double(bitPattern: 0xFFF8_0000_0000_0001))
        #expect(quiet == other)
        #expect(quiet.hashValue == other.hashValue)
        #expect(Set<WireValue>([quiet, other, [quiet], [other]]).count == 2)
        #expect(WireValue.double(0) == .double(-0.0))
        #expect(WireValue.double(0).hashValue == WireValue.double(-0.0).hashValue)
    }

    @Test("values of different kinds are never equal")
    func kindsDiffer() {
        #expect(WireValue.int(1) != .double(1))
        #expect(WireValue.int(0) != .bool(false))
        #expect(WireValue.string("a") != .bytes([0x61]))
        #expect(WireValue.list([]) != .map([]))
        #expect(WireValue.null != .list([]))
        #expect(WireValue.map([("a", 1), ("b", 2)]) != .map([("b", 2), ("a", 1)]))
    }

    // MARK: Limits

    static func nestedLists(_ depth: Int) -> WireValue {
        var value = WireValue.null
        for _ in 0 ..< depth { value = .list([value]) }
        return value
    }

    static func nestedMaps(_ depth: Int) -> WireValue {
        var value = WireValue.null
        for _ in 0 ..< depth { value = .map([("k", value)]) }
        return value
    }

    @Test("nesting up to the depth limit decodes, one more level does not")
    func depthLimit() throws {
        // The outermost value is at depth 0; a value at depth maxValueDepth is refused.
        let limit = FrameLimits.maxValueDepth
        for make in [Self.nestedLists, Self.nestedMaps] {
            let deepest = make(limit - 1)
            #expect(try Self.decoded(Self.encoded(deepest)) == deepest)
            let tooDeep = make(limit)
            #expect(caught { () throws(WireError) in try Self.decoded(Self.encoded(tooDeep)) }
                == WireError(.malformedMessage("value nested too deep")))
        }
    }

    @Test("a hostile nesting of thousands of levels is refused, not a stack overflow")
    func veryDeep() {
        // A list of one list of one list … 100 000 levels deep.
        let bytes = [UInt8]((0 ..< 100_000).map { _ in [7, 1] }.joined())
        #expect(caught { () throws(WireError) in try Self.decoded(bytes) }
            == WireError(.malformedMessage("value nested too deep")))
    }

    @Test("element counts larger than the bytes left are refused before allocating")
    func hugeCounts() {
        for bytes in [hex("07 ffffffff0f"), hex("07 02 00"), hex("08 02 0000"), hex("08 ffffffffffffffff7f")] {
            #expect(isMalformed(caught { () throws(WireError) in try Self.decoded(bytes) }), "\(bytes)")
        }
    }

    @Test("unknown tags are refused", arguments: [9, 10, 0x7F, 0xFF] as [UInt8])
    func unknownTag(tag: UInt8) {
        #expect(caught { () throws(WireError) in try Self.decoded([tag]) }
            == WireError(.malformedMessage("bad value tag \(tag)")))
    }

    // MARK: Accessors

    @Test("map lookup returns the last value of a repeated key")
    func subscriptLookup() {
        let value: WireValue = ["a": 1, "b": 2, "a": 3]
        #expect(value["a"] == 3)
        #expect(value["b"] == 2)
        #expect(value["c"] == nil)
        #expect(WireValue.list([1])["a"] == nil)
    }

    @Test("conversions")
    func conversions() {
        #expect(WireValue.int(5).stringValue == "5")
        #expect(WireValue.bool(true).stringValue == "true")
        #expect(WireValue.bytes(Array("hi".utf8)).stringValue == "hi")
        #expect(WireValue.null.stringValue == nil)
        #expect(WireValue.double(3).intValue == 3)
        #expect(WireValue.double(3.5).intValue == nil)
        #expect(WireValue.double(1e19).intValue == nil)
        #expect(WireValue.double(.nan).intValue == nil)
        #expect(WireValue.string("-12").intValue == -12)
        #expect(WireValue.string("x").intValue == nil)
        #expect(WireValue.int(2).doubleValue == 2)
        #expect(WireValue.string("2.5").doubleValue == 2.5)
        #expect(WireValue.list([1, 2]).listValue?.count == 2)
        #expect(WireValue.map([("a", 1)]).mapValue?.first?.0 == "a")
        #expect(WireValue.int(1).listValue == nil)
        #expect(WireValue.int(1).mapValue == nil)
    }

    @Test("Ansible truthiness",
          arguments: [
              ("yes", true), ("YES", true), ("true", true), ("1", true), ("on", true), ("y", true), ("t", true),
              ("no", false), ("False", false), ("0", false), ("off", false), ("n", false), ("f", false),
          ])
    func truthiness(text: String, expected: Bool) {
        #expect(WireValue.string(text).boolValue == expected)
    }

    @Test("values that are neither true nor false")
    func notBooleans() {
        #expect(WireValue.string("maybe").boolValue == nil)
        #expect(WireValue.null.boolValue == nil)
        #expect(WireValue.int(0).boolValue == false)
        #expect(WireValue.int(-3).boolValue == true)
    }
}
