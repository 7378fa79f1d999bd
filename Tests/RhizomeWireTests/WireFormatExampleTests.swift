import RhizomeWire
import Testing

/// The byte-level examples of docs/wire-protocol.md, so the document cannot
/// drift from the code unnoticed.
@Suite("Examples of docs/wire-protocol.md")
struct WireFormatExampleTests {
    @Test("constants")
    func constants() {
        #expect(FrameLimits.headerSize == 22)
        #expect(FrameLimits.maxFramePayload == 1_048_576)
        #expect(FrameLimits.chunkPayload == 65_536)
        #expect(FrameLimits.maxMessage == 16_777_216)
        #expect(FrameLimits.maxValueDepth == 64)
        #expect(WireProtocol.magic == 0x525A)
        #expect(WireProtocol.version == 1)
        #expect(FrameFlags.compressed.rawValue == 0x01)
        #expect(FrameFlags.more.rawValue == 0x02)
    }

    @Test("§2: a Ping frame")
    func pingFrame() throws {
        let bytes = Envelope(Ping(nonce: 0x0102_0304_0506_0708), destination: NodeID(7), source: .controller)
            .encodedFrames()
        let expected = hex("52 5a 01 03 00 00 00 00 00 08 00 00 00 07 00 00 00 00 00 00 00 00 01 02 03 04 05 06 07 08")
        #expect(bytes == expected)
        let frame = try #require(decode(expected).frames.first)
        #expect(frame.header == FrameHeader(type: 3, length: 8, destination: NodeID(7), source: .controller, stream: 0))
    }

    @Test("§2: header fields at their offsets")
    func headerOffsets() {
        let header = FrameHeader(type: 0xAA, flags: [.more, .compressed], length: 0x0102_0304,
                                 destination: NodeID(0x1112_1314), source: NodeID(0x2122_2324), stream: 0x3132_3334)
        var bytes: [UInt8] = []
        header.write(into: &bytes)
        #expect(bytes == hex("525a 01 aa 03 00 01020304 11121314 21222324 31323334"))
    }

    @Test("§6.3: a WireValue")
    func wireValue() {
        let value: WireValue = [nil, true, -3, .double(1.5), "é", .bytes([0xFF]), ["k": [:]]]
        #expect(written { value.encode(into: &$0) }
            == hex("07 07 00 02 03 05 04 3f f8 00 00 00 00 00 00 05 02 c3 a9 06 01 ff 08 01 01 6b 08 00"))
    }

    @Test("§7.2: a Welcome frame")
    func welcomeFrame() {
        let welcome = Welcome(node: NodeID(7), parent: .controller, keepaliveInterval: 30, logLevel: 2)
        let bytes = Envelope(welcome, destination: NodeID(7), source: .controller).encodedFrames()
        #expect(bytes == hex("""
            52 5a 01 02 00 00 00 00 00 0d 00 00 00 07 00 00 00 00 00 00 00 00
            00 00 00 07  00 00 00 00  00 00 00 1e  02
            """))
    }

    @Test("§7.7: a RunTask body")
    func runTaskBody() {
        let task = RunTask(module: "ping", arguments: ["data": "pong", "n": -3], environment: ["LANG": "C"],
                           timeout: 1.5, outputCap: 0)
        #expect(task.encodedBody == hex("""
            04 70 69 6e 67
            08 02 04 64 61 74 61 05 04 70 6f 6e 67 01 6e 03 05
            01 04 4c 41 4e 47 01 43
            3f f8 00 00 00 00 00 00
            00 00 00 00 00 00 00 00
            """))
    }

    @Test("§7.9: a TaskResult body")
    func taskResultBody() {
        let result = TaskResult(rc: 0, start: 1, end: 2, changed: true, data: [:])
        #expect(result.encodedBody == hex("""
            01 00 00 00 00  00  00 00 00 00 00 00 00 01  00 00 00 00 00 00 00 02  01 00  00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  08 00
            """))
    }
}
