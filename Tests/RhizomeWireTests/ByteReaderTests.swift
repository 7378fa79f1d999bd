import RhizomeWire
import Testing

@Suite("ByteReader and ByteWriter")
struct ByteReaderTests {
    // MARK: Integers

    @Test("integers are big-endian")
    func bigEndian() throws {
        let bytes = written { w in
            w.writeInteger(UInt16(0x0102))
            w.writeInteger(UInt32(0x0304_0506))
            w.writeInteger(UInt64(0x0708_090A_0B0C_0D0E))
            w.writeInteger(Int32(-2))
        }
        #expect(bytes == hex("0102 03040506 0708090a0b0c0d0e fffffffe"))
        var reader = ByteReader(bytes)
        #expect(try reader.readInteger(as: UInt16.self) == 0x0102)
        #expect(try reader.readInteger(as: UInt32.self) == 0x0304_0506)
        #expect(try reader.readInteger(as: UInt64.self) == 0x0708_090A_0B0C_0D0E)
        #expect(try reader.readInteger(as: Int32.self) == -2)
        try reader.expectEnd()
    }

    @Test("signed integers at their edges")
    func signedEdges() throws {
        let values: [Int64] = [.min, -1, 0, 1, .max]
        for value in values {
            var reader = ByteReader(written { $0.writeInteger(value) })
            #expect(try reader.readInteger(as: Int64.self) == value)
        }
        var reader = ByteReader([0x80, 0xFF, 0x7F, 0x80, 0x00])
        #expect(try reader.readInteger(as: Int8.self) == -128)
        #expect(try reader.readInteger(as: Int8.self) == -1)
        #expect(try reader.readInteger(as: Int8.self) == 127)
        #expect(try reader.readInteger(as: Int16.self) == -32768)
    }

    @Test("a short integer read throws", arguments: [1, 2, 4, 8])
    func shortInteger(size: Int) {
        let bytes = [UInt8](repeating: 0xFF, count: size - 1)
        var reader = ByteReader(bytes)
        let error = caught { () throws(WireError) -> UInt64 in
            switch size {
            case 1: return UInt64(try reader.readInteger(as: UInt8.self))
            case 2: return UInt64(try reader.readInteger(as: UInt16.self))
            case 4: return UInt64(try reader.readInteger(as: UInt32.self))
            default: return try reader.readInteger(as: UInt64.self)
            }
        }
        #expect(error == WireError(.malformedMessage("short read of \(size)-byte integer")))
        #expect(reader.remaining == size - 1)
    }

    @Test("reading from a slice starts at the slice, not at index 0")
    func sliceIndices() throws {
        let bytes: [UInt8] = [9, 9, 9, 0x01, 0x02, 9]
        var reader = ByteReader(bytes[3 ..< 5])
        #expect(reader.remaining == 2)
        #expect(try reader.readInteger(as: UInt16.self) == 0x0102)
        try reader.expectEnd()
    }

    // MARK: Varints

    @Test("varint encodings",
          arguments: [
              (0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (16383, "ff7f"), (16384, "808001"),
              (UInt64(UInt32.max), "ffffffff0f"), (UInt64.max >> 1, "ffffffffffffffff7f"),
              (UInt64.max, "ffffffffffffffffff01"),
          ] as [(UInt64, String)])
    func varints(value: UInt64, encoding: String) throws {
        #expect(written { $0.writeVarint(value) } == hex(encoding))
        var reader = ByteReader(hex(encoding))
        #expect(try reader.readVarint() == value)
        try reader.expectEnd()
    }

    @Test("varints that do not fit 64 bits are rejected",
          arguments: [
              "ffffffffffffffffff02", // 10th byte carries bit 64
              "ffffffffffffffffff7f",
              "ffffffffffffffffff81 00", // 11 bytes
              "80808080808080808080 00", // overlong zero, 11 bytes
              "ffffffffffffffffffffffffffffff01",
          ])
    func varintOverflow(encoding: String) {
        var reader = ByteReader(hex(encoding))
        #expect(caught { () throws(WireError) in try reader.readVarint() }
            == WireError(.malformedMessage("varint overflows 64 bits")))
    }

    @Test("a varint cut short is rejected", arguments: ["", "80", "ff80", "ffffffffffffffffff"])
    func shortVarint(encoding: String) {
        var reader = ByteReader(hex(encoding))
        #expect(caught { () throws(WireError) in try reader.readVarint() } == WireError(.malformedMessage("short varint")))
    }

    @Test("non-minimal varints are accepted (encoders never write them)")
    func nonMinimalVarint() throws {
        var reader = ByteReader(hex("8000 ff00 80808080808080808000"))
        #expect(try reader.readVarint() == 0)
        #expect(try reader.readVarint() == 127)
        #expect(try reader.readVarint() == 0)
        try reader.expectEnd()
    }

    // MARK: Lengths and byte strings

    @Test("a length over its limit is rejected")
    func lengthLimit() throws {
        var reader = ByteReader(hex("0a 0b"))
        #expect(try reader.readLength(limit: 10) == 10)
        #expect(caught { () throws(WireError) in try reader.readLength(limit: 10) }
            == WireError(.malformedMessage("length 11 over limit 10")))
    }

    @Test("the default length limit is the message limit")
    func defaultLengthLimit() throws {
        var ok = ByteReader(written { $0.writeLength(FrameLimits.maxMessage) })
        #expect(try ok.readLength() == FrameLimits.maxMessage)
        for value in [UInt64(FrameLimits.maxMessage) + 1, UInt64(Int.max), UInt64(Int.max) + 1, .max] {
            var reader = ByteReader(written { $0.writeVarint(value) })
            #expect(isMalformed(caught { () throws(WireError) in try reader.readLength() }), "\(value)")
        }
    }

    @Test("a byte string longer than what is left is rejected")
    func shortByteString() {
        var reader = ByteReader(hex("05 010203"))
        #expect(caught { () throws(WireError) in try reader.readByteString() }
            == WireError(.malformedMessage("short read of 5 bytes")))
    }

    @Test("readBytes refuses negative counts")
    func negativeCount() {
        var reader = ByteReader([1, 2, 3])
        #expect(isMalformed(caught { () throws(WireError) in try reader.readBytes(count: -1) }))
        #expect(reader.remaining == 3)
    }

    @Test("strings are length-prefixed UTF-8")
    func strings() throws {
        let bytes = written { w in
            w.writeString("")
            w.writeString("é😀")
        }
        #expect(bytes == hex("00 06 c3a9 f09f9880"))
        var reader = ByteReader(bytes)
        #expect(try reader.readString() == "")
        #expect(try reader.readString() == "é😀")
        try reader.expectEnd()
    }

    // MARK: Booleans and the end

    @Test("booleans are 0 or 1 and nothing else")
    func booleans() throws {
        var reader = ByteReader([0, 1])
        #expect(try reader.readBool() == false)
        #expect(try reader.readBool() == true)
        #expect(written { $0.writeBool(true); $0.writeBool(false) } == [1, 0])
        for raw in UInt8(2) ... 0xFF {
            var bad = ByteReader([raw])
            #expect(caught { () throws(WireError) in try bad.readBool() }
                == WireError(.malformedMessage("bad boolean \(raw)")))
        }
    }

    @Test("expectEnd reports trailing bytes")
    func trailing() throws {
        var reader = ByteReader([1, 2, 3])
        #expect(caught { () throws(WireError) in try reader.expectEnd() }
            == WireError(.malformedMessage("3 trailing bytes")))
        _ = try reader.readBytes(count: 3)
        try reader.expectEnd()
    }

    @Test("no read ever traps, whatever the bytes")
    func arbitraryBytes() {
        // A cheap deterministic sweep; the fuzz target does the thorough job.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        for _ in 0 ..< 2000 {
            let bytes = (0 ..< Int(next() % 24)).map { _ in next() }
            var reader = ByteReader(bytes)
            while reader.remaining > 0 {
                let before = reader.remaining
                switch next() % 7 {
                case 0: _ = try? reader.readVarint()
                case 1: _ = try? reader.readLength(limit: Int(next()))
                case 2: _ = try? reader.readString()
                case 3: _ = try? reader.readBool()
                case 4: _ = try? reader.readInteger(as: Int8.self)
                case 5: _ = try? reader.readInteger(as: Int32.self)
                default: _ = try? reader.readByteString()
                }
                if reader.remaining == before { _ = try? reader.readInteger(as: UInt8.self) }
            }
        }
    }
}
