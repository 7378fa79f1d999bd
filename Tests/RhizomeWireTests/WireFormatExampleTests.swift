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
        let welcome = Welcome(node: NodeID(7), parent: .controller, keepaliveInterval: 30, logLevel: 2,
                              payloadCacheBytes: 256 << 20)
        let bytes = Envelope(welcome, destination: NodeID(7), source: .controller).encodedFrames()
        #expect(bytes == hex("""
            52 5a 01 02 00 00 00 00 00 15 00 00 00 07 00 00 00 00 00 00 00 00
            00 00 00 07  00 00 00 00  00 00 00 1e  02  00 00 00 00 10 00 00 00
            """))
    }

    @Test("§7.2: a Welcome without its payload cache size is refused")
    func shortWelcome() {
        let body = hex("00 00 00 07  00 00 00 00  00 00 00 1e  02")
        #expect(caught { () throws(WireError) in try Welcome(body: body) }
            == WireError(.malformedMessage("short read of 8-byte integer")))
    }

    @Test("§7.11: a SpawnChild body")
    func spawnChildBody() {
        let spawn = SpawnChild(node: NodeID(12), name: "db1", address: "10.0.0.12", port: 22, user: "deploy",
                               knownHostsLines: ["10.0.0.12 ssh-ed25519 AAAA"], knownHostsSource: "kh",
                               hostKeyPolicy: 1, publicKeys: [[0xAA, 0xBB]], publicKeyLabels: ["id"],
                               connectTimeout: 10, operationTimeout: 30, keepaliveInterval: 15,
                               payloadCacheBytes: 256 << 20, knownHostsLineNumbers: [7])
        #expect(spawn.encodedBody == hex("""
            00 00 00 0c
            03 64 62 31
            09 31 30 2e 30 2e 30 2e 31 32
            00 16
            06 64 65 70 6c 6f 79
            01 1a 31 30 2e 30 2e 30 2e 31 32 20 73 73 68 2d 65 64 32 35 35 31 39 20 41 41 41 41
            02 6b 68
            01
            01 02 aa bb
            01 02 69 64
            00
            40 24 00 00 00 00 00 00
            40 3e 00 00 00 00 00 00
            00 00 00 0f
            00 00 00 00 10 00 00 00
            01 07
            00
            00
            """))
    }

    @Test("§7.17: a PayloadChunk body")
    func payloadChunkBody() {
        let digest = hex("42492da06234ad0ac76f5d5debdb6d1ae027cffbe746a1c13b89bb8bc0139137")
        let chunk = PayloadChunk(digest: digest, totalSize: 20, offset: 0, encoding: .lz4, originalLength: 20,
                                 data: hex("1a 61 01 00 50 61 61 61 61 61"))
        #expect(chunk.encodedBody == hex("""
            42 49 2d a0 62 34 ad 0a c7 6f 5d 5d eb db 6d 1a e0 27 cf fb e7 46 a1 c1 3b 89 bb 8b c0 13 91 37
            00 00 00 00 00 00 00 14
            00 00 00 00 00 00 00 00
            01
            00 00 00 14
            0a 1a 61 01 00 50 61 61 61 61 61
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
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
            00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  08 00
            """))
    }
}
