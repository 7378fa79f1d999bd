import RhizomeWire
import Testing

/// Field rules of the payload and statistics messages (types 30–41) beyond what
/// the round-trip tests of every sample cover.
@Suite("Payload and statistics messages")
struct PayloadMessageTests {
    /// A chunk body written field by field, so that it can say what the encoder never would.
    static func chunkBody(digest: [UInt8] = sampleDigest, total: UInt64, offset: UInt64, encoding: UInt8 = 0,
                          length: UInt32, data: [UInt8]) -> [UInt8] {
        written { w in
            w.writeBytes(digest)
            w.writeInteger(total)
            w.writeInteger(offset)
            w.writeInteger(encoding)
            w.writeInteger(length)
            w.writeByteString(data)
        }
    }

    static func decodeChunk(_ body: [UInt8]) -> WireError? {
        caught { () throws(WireError) in try PayloadChunk(body: body) }
    }

    static let outside = WireError(.malformedMessage("chunk outside its payload"))

    // MARK: PayloadChunk

    @Test("PayloadChunk fields in order")
    func chunkLayout() {
        let chunk = PayloadChunk(digest: sampleDigest, totalSize: 20, offset: 8, encoding: .raw, originalLength: 2,
                                 data: [0x61, 0x61])
        #expect(chunk.encodedBody == sampleDigest + hex("""
            0000000000000014  0000000000000008  00  00000002  02 6161
            """))
    }

    @Test("a chunk may end exactly at the end of its payload",
          arguments: [(0, 0, 0), (20, 0, 20), (20, 8, 12), (20, 20, 0), (.max, .max, 0),
                      (.max, .max - 5, 5)] as [(UInt64, UInt64, UInt32)])
    func chunkInside(total: UInt64, offset: UInt64, length: UInt32) throws {
        let data = [UInt8](repeating: 0x61, count: Int(length))
        let chunk = try PayloadChunk(body: Self.chunkBody(total: total, offset: offset, length: length, data: data))
        #expect(chunk.offset + UInt64(chunk.originalLength) <= chunk.totalSize)
    }

    @Test("a chunk that starts or ends outside its payload is rejected",
          arguments: [(0, 1, 0), (20, 21, 0), (20, 0, 21), (20, 9, 12), (20, 20, 1), (.max - 1, .max, 0),
                      (.max, .max, 1), (.max, .max - 4, 5), (10, 5, 6)] as [(UInt64, UInt64, UInt32)])
    func chunkOutside(total: UInt64, offset: UInt64, length: UInt32) {
        let data = [UInt8](repeating: 0x61, count: Int(length))
        #expect(Self.decodeChunk(Self.chunkBody(total: total, offset: offset, length: length, data: data)) == Self.outside)
    }

    @Test("a chunk of maxSize bytes fits one frame, header fields included")
    func maxSizeFitsFrame() throws {
        #expect(PayloadChunk.maxSize == FrameLimits.chunkPayload - 128)
        let data = [UInt8](repeating: 0x61, count: PayloadChunk.maxSize)
        let chunk = PayloadChunk(digest: sampleDigest, totalSize: .max, offset: 0, encoding: .raw,
                                 originalLength: UInt32(PayloadChunk.maxSize), data: data)
        #expect(chunk.encodedBody.count <= FrameLimits.chunkPayload)
        let frames = Envelope(chunk, destination: NodeID(1), source: .controller, stream: 5).frames()
        #expect(frames.count == 1)
        #expect(try PayloadChunk(body: chunk.encodedBody) == chunk)
    }

    @Test("a chunk longer than maxSize is rejected, before its data is read",
          arguments: [UInt32(PayloadChunk.maxSize) + 1, UInt32(FrameLimits.chunkPayload), .max])
    func chunkTooLong(length: UInt32) {
        // No data follows: the length alone is refused.
        let body = Self.chunkBody(total: .max, offset: 0, encoding: 1, length: length, data: []).dropLast()
        #expect(Self.decodeChunk(Array(body))
            == WireError(.malformedMessage("chunk of \(length) bytes over \(PayloadChunk.maxSize)")))
    }

    @Test("a raw chunk must hold exactly originalLength bytes", arguments: [0, 1, 11, 13, 100])
    func rawLengthDiffers(count: Int) {
        let body = Self.chunkBody(total: 20, offset: 8, length: 12, data: [UInt8](repeating: 0x61, count: count))
        #expect(Self.decodeChunk(body)
            == WireError(.malformedMessage("raw chunk length differs from its announced length")))
    }

    @Test("an LZ4 chunk's data may have any length; receivers check it when they expand it",
          arguments: [0, 1, 12, 13, 1000])
    func lz4Length(count: Int) throws {
        let body = Self.chunkBody(total: 20, offset: 8, encoding: 1, length: 12, data: [UInt8](repeating: 0, count: count))
        let chunk = try PayloadChunk(body: body)
        #expect(chunk.encoding == .lz4)
        #expect(chunk.data.count == count)
        #expect(chunk.encodedBody == body)
    }

    @Test("a chunk with an unknown encoding is rejected", arguments: [2, 3, 0x7F, 0xFF] as [UInt8])
    func badEncoding(encoding: UInt8) {
        let body = Self.chunkBody(total: 1, offset: 0, encoding: encoding, length: 1, data: [0x61])
        #expect(Self.decodeChunk(body) == WireError(.malformedMessage("bad chunk encoding \(encoding)")))
    }

    @Test("encodings are numbered 0 raw and 1 lz4")
    func encodingNumbers() {
        #expect(PayloadChunk.Encoding.raw.rawValue == 0)
        #expect(PayloadChunk.Encoding.lz4.rawValue == 1)
        #expect(PayloadChunk.Encoding(rawValue: 2) == nil)
    }

    // MARK: Digests

    @Test("a digest is exactly 32 bytes, with no length prefix")
    func digest() throws {
        var exact = ByteReader(sampleDigest)
        #expect(try exact.readDigest() == sampleDigest)
        try exact.expectEnd()

        var longer = ByteReader(sampleDigest + [0xEE])
        #expect(try longer.readDigest() == sampleDigest)
        #expect(longer.remaining == 1)

        for count in [0, 1, 31] {
            var short = ByteReader([UInt8](repeating: 0, count: count))
            #expect(caught { () throws(WireError) in try short.readDigest() }
                == WireError(.malformedMessage("short read of 32 bytes")))
        }
    }

    @Test("a digest of another length does not decode where 32 bytes are expected", arguments: [0, 31, 33, 64])
    func wrongDigestLength(count: Int) {
        let digest = [UInt8](repeating: 0x42, count: count)
        let request = PayloadRequest(digest: digest, window: 1).encodedBody
        #expect(isMalformed(caught { () throws(WireError) in try PayloadRequest(body: request) }))
        let error = PayloadError(digest: digest, message: "").encodedBody
        #expect(isMalformed(caught { () throws(WireError) in try PayloadError(body: error) }))
        let chunk = Self.chunkBody(digest: digest, total: 0, offset: 0, length: 0, data: [])
        #expect(isMalformed(Self.decodeChunk(chunk)))
    }

    // MARK: Request, error, credit

    @Test("PayloadRequest, PayloadError and PayloadCredit fields in order")
    func transferLayout() {
        #expect(PayloadRequest(digest: sampleDigest, window: 4 << 20).encodedBody == sampleDigest + hex("0000000000400000"))
        #expect(PayloadError(digest: sampleDigest, message: "no").encodedBody == sampleDigest + hex("02 6e6f"))
        #expect(PayloadCredit(bytes: 0x0102_0304_0506_0708).encodedBody == hex("0102030405060708"))
    }

    // MARK: Statistics

    @Test("StatsRequest has an empty body, and refuses any byte")
    func statsRequest() throws {
        #expect(StatsRequest().encodedBody == [])
        #expect(try StatsRequest(body: []) == StatsRequest())
        #expect(caught { () throws(WireError) in try StatsRequest(body: [0]) }
            == WireError(.malformedMessage("1 trailing bytes")))
    }

    @Test("StatsReport fields in order")
    func statsLayout() {
        let report = StatsReport(links: [
            LinkReport(child: NodeID(12), bytesSent: 1, bytesReceived: 2, payloadBytesSent: 3, payloadBytesReceived: 4,
                       framesSent: 5, framesReceived: 6, bootstrapBytesSent: 7, payloadsServed: 8, payloadsFromCache: 9),
        ])
        #expect(report.encodedBody == hex("01 0000000c") + (1 ... 9).flatMap { hex("00000000000000") + [UInt8($0)] })
    }

    @Test("StatsReport rejects a link count over an eighth of the bytes left")
    func statsCount() {
        // 17 bytes from the count on: the bound admits 2 links, and the body holds none.
        let rest = [UInt8](repeating: 0, count: 16)
        #expect(caught { () throws(WireError) in try StatsReport(body: [3] + rest) }
            == WireError(.malformedMessage("length 3 over limit 2")))
        #expect(isMalformed(caught { () throws(WireError) in try StatsReport(body: [2] + rest) }))
        let huge = written { $0.writeVarint(1 << 40) } + rest
        #expect(caught { () throws(WireError) in try StatsReport(body: huge) }
            == WireError(.malformedMessage("length \(1 << 40) over limit 2")))
        // One whole link: 76 bytes.
        let one = StatsReport(links: [LinkReport(child: NodeID(1))]).encodedBody
        #expect(one.count == 1 + 76)
    }
}
