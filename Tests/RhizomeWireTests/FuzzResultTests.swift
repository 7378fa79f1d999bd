import RhizomeWire
import Testing

/// Inputs found by the fuzz target in `Fuzz/WireFuzz`, replayed through the same
/// paths it drives. Each one crashed or broke a property before its fix; a new
/// finding goes here, named after what it broke.
@Suite("Fuzz results")
struct FuzzResultTests {
    /// A Hello-like body whose bytes, read as a sequence of primitives, reach
    /// `readInteger(as: Int8.self)` on a byte over 0x7F, which trapped.
    static let int8Trap = hex("""
        05302e312e3020000102030405060708090a0b0c0d0e7200047761726e01016a030505726174696f043fe000000000000003726177
        060200ff046c697374070303020700080002044c414e47014304b0c4544804556e736166650f101112131415161718191a1b1c1d1e1f
        00001092054c696e757805362e315300000000556e7361666500000034047762310f2f746562310f6e2f665561736568697a6f6d652d
        78
        """)

    static let findings: [(name: String, input: [UInt8])] = [
        ("Int8 read of a byte over 0x7F trapped", int8Trap),
        ("minimal Int8 trap", [0x04, 0x80]),
    ]

    @Test("no finding crashes or breaks a property", arguments: findings.indices)
    func replay(index: Int) {
        FuzzReplay.run(Self.findings[index].input)
    }

    @Test("a signed byte over 0x7F reads as a negative number")
    func int8() throws {
        var reader = ByteReader([0x04, 0x80])
        #expect(try reader.readInteger(as: UInt8.self) == 4)
        #expect(try reader.readInteger(as: Int8.self) == -128)
    }
}

/// The checks of the fuzz target (`Fuzz/WireFuzz/main.swift`), for one input.
enum FuzzReplay {
    /// One sample of each message type, standing for its type.
    static let typeSamples: [any WireMessage & Hashable] = {
        var seen = Set<MessageType>()
        return sampleMessages.filter { seen.insert(type(of: $0).messageType).inserted }
    }()

    static func run(_ input: [UInt8]) {
        stream(input)
        bodies(input)
    }

    static func stream(_ input: [UInt8]) {
        let whole = decode(input)
        #expect(decode(pieces: input.map { [$0] }) == whole)
        var assembler = MessageAssembler()
        for frame in whole.frames {
            guard let envelope = try? assembler.push(frame) else { continue }
            for message in typeSamples where type(of: message).messageType.rawValue == envelope.type {
                roundTrip(envelope.body, as: message)
            }
        }
    }

    static func bodies(_ input: [UInt8]) {
        for message in typeSamples { roundTrip(input, as: message) }

        var reader = ByteReader(input)
        if let value = try? WireValue(from: &reader) {
            var writer = ByteWriter()
            value.encode(into: &writer)
            var again = ByteReader(writer.bytes)
            #expect((try? WireValue(from: &again)) == value)
            #expect((try? WireValue(jsonText: value.prettyJSONText))?.jsonText == value.jsonText)
        }
        if let value = try? WireValue(jsonText: String(decoding: input, as: UTF8.self)) {
            #expect((try? WireValue(jsonText: value.jsonText))?.jsonText == value.jsonText)
        }

        // The same sequence of primitive reads as the fuzz target.
        var primitives = ByteReader(input)
        while primitives.remaining > 0 {
            let selector = (try? primitives.readInteger(as: UInt8.self)) ?? 0
            switch selector % 11 {
            case 0: _ = try? primitives.readVarint()
            case 1: _ = try? primitives.readLength(limit: 100)
            case 2: _ = try? primitives.readString()
            case 3: _ = try? primitives.readBool()
            case 4: _ = try? primitives.readInteger(as: Int8.self)
            case 5: _ = try? primitives.readInteger(as: Int16.self)
            case 6: _ = try? primitives.readInteger(as: Int64.self)
            case 7: _ = try? primitives.readByteString()
            case 8: _ = try? primitives.readStringList()
            case 9:
                if let seconds = try? primitives.readDuration() { #expect(seconds.isFinite && seconds >= 0) }
            default:
                if let digest = try? primitives.readDigest() { #expect(digest.count == 32) }
            }
        }
    }

    /// Decodes `body` as the type of `sample`; whatever decodes must round-trip.
    static func roundTrip<M: WireMessage & Hashable>(_ body: [UInt8], as sample: M) {
        guard let message = try? M(body: body) else { return }
        #expect((try? M(body: message.encodedBody)) == message)
    }
}
