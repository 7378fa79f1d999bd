import RhizomeWire
import Testing

@Suite("FrameDecoder")
struct FrameDecoderTests {
    /// A stream with empty, one-byte and multi-frame payloads, several types,
    /// sources and streams, and every defined flag.
    static let frames: [Frame] = {
        var frames = [
            Frame(type: MessageType.hello.rawValue, destination: .controller, source: .controller, stream: 0,
                  payload: sampleMessages[0].encodedBody),
            Frame(type: MessageType.ping.rawValue, destination: NodeID(1), source: .controller, stream: 0,
                  payload: Ping(nonce: 42).encodedBody),
            Frame(type: MessageType.shutdown.rawValue, destination: NodeID(2), source: NodeID(5), stream: 0,
                  payload: []),
            Frame(type: 200, flags: .compressed, destination: NodeID(.max), source: NodeID(.max), stream: .max,
                  payload: [0x52]),
        ]
        let output = Envelope(TaskOutput(stream: .stdout, data: Array(0 ..< 40)), destination: .controller,
                              source: NodeID(4), stream: 9)
        frames += output.frames(chunkSize: 16)
        return frames
    }()

    static let stream: [UInt8] = frames.flatMap(\.bytes)

    @Test("the whole stream at once")
    func wholeStream() {
        #expect(Self.frames.count == 7)
        #expect(decode(Self.stream) == DecodedStream(frames: Self.frames))
    }

    @Test("split in two at every byte boundary")
    func everySplit() {
        let stream = Self.stream
        for split in 0 ... stream.count {
            let result = decode(pieces: [stream[..<split], stream[split...]])
            #expect(result == DecodedStream(frames: Self.frames), "split at \(split)")
        }
    }

    @Test("split in three at every pair of byte boundaries")
    func everyPairOfSplits() {
        // A shorter stream keeps this quadratic test fast.
        let frames = Array(Self.frames[1 ... 3])
        let stream = frames.flatMap(\.bytes)
        for first in 0 ... stream.count {
            for second in first ... stream.count {
                let pieces = [stream[..<first], stream[first ..< second], stream[second...]]
                #expect(decode(pieces: pieces) == DecodedStream(frames: frames), "splits at \(first), \(second)")
            }
        }
    }

    @Test("byte by byte, draining after every byte and only at the end", arguments: [true, false])
    func byteByByte(drainEachPiece: Bool) {
        let pieces = Self.stream.map { [$0] }
        #expect(decode(pieces: pieces, drainEachPiece: drainEachPiece) == DecodedStream(frames: Self.frames))
    }

    @Test("in pieces of every size from 1 to 64")
    func fixedPieceSizes() {
        let stream = Self.stream
        for size in 1 ... 64 {
            let pieces = stride(from: 0, to: stream.count, by: size).map { stream[$0 ..< min($0 + size, stream.count)] }
            #expect(decode(pieces: pieces) == DecodedStream(frames: Self.frames), "pieces of \(size)")
        }
    }

    @Test("nothing buffered after a frame is returned")
    func bufferedCount() throws {
        var decoder = FrameDecoder()
        let bytes = Self.frames[1].bytes
        decoder.append(bytes[..<10])
        #expect(decoder.bufferedByteCount == 10)
        #expect(try decoder.nextFrame() == nil)
        decoder.append(bytes[10...])
        #expect(decoder.bufferedByteCount == bytes.count)
        #expect(try decoder.nextFrame() == Self.frames[1])
        #expect(decoder.bufferedByteCount == 0)
        #expect(try decoder.nextFrame() == nil)
        try decoder.finish()
    }

    @Test("a frame with the largest allowed payload")
    func largestFrame() throws {
        let payload = [UInt8](repeating: 0xAB, count: FrameLimits.maxFramePayload)
        let frame = Frame(type: 11, destination: .controller, source: NodeID(1), stream: 1, payload: payload)
        #expect(decode(frame.bytes) == DecodedStream(frames: [frame]))
    }

    // MARK: Rejections

    @Test("bad magic", arguments: [0x0000, 0x5A52, 0x5353, 0x525B, 0xFFFF] as [UInt16])
    func badMagic(magic: UInt16) {
        #expect(decode(headerBytes(magic: magic)).error == WireError(.badMagic(magic)))
    }

    @Test("text before the first frame is bad magic")
    func junkBeforeFrame() {
        // What a shell's rc file might print; the start marker exists so that the
        // reader skips this before handing bytes to the decoder.
        let junk = Array("Welcome to Debian\n".utf8) + Self.stream
        #expect(decode(junk).error == WireError(.badMagic(0x5765)))
    }

    @Test("unsupported version", arguments: [0, 2, 0xFF] as [UInt8])
    func badVersion(version: UInt8) {
        #expect(decode(headerBytes(version: version)).error == WireError(.unsupportedVersion(version)))
    }

    @Test("undefined flag bits", arguments: [0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF] as [UInt8])
    func undefinedFlags(flags: UInt8) {
        #expect(decode(headerBytes(flags: flags)).error == WireError(.unknownFlags(flags & ~0x03)))
    }

    @Test("non-zero reserved byte", arguments: [0x01, 0x80] as [UInt8])
    func reservedByte(reserved: UInt8) {
        #expect(decode(headerBytes(reserved: reserved)).error == WireError(.unknownFlags(reserved)))
    }

    @Test("every defined flag combination is accepted", arguments: [0, 1, 2, 3] as [UInt8])
    func definedFlags(flags: UInt8) throws {
        let result = decode(headerBytes(flags: flags))
        #expect(result.error == nil)
        #expect(try #require(result.frames.first).header.flags == FrameFlags(rawValue: flags))
    }

    @Test("oversized length is rejected as soon as the header is complete",
          arguments: [UInt32(FrameLimits.maxFramePayload) + 1, 1 << 24, .max])
    func oversizedLength(length: UInt32) throws {
        var decoder = FrameDecoder()
        let header = headerBytes(length: length)
        decoder.append(header[..<21])
        #expect(try decoder.nextFrame() == nil)
        decoder.append(header[21...])
        // No payload byte has arrived, and none is waited for.
        #expect(caught { () throws(WireError) in try decoder.nextFrame() } == WireError(.oversizedFrame(length)))
        #expect(decoder.bufferedByteCount == FrameLimits.headerSize)
    }

    @Test("the largest allowed length waits for its payload")
    func maxLengthWaits() throws {
        var decoder = FrameDecoder()
        decoder.append(headerBytes(length: UInt32(FrameLimits.maxFramePayload)))
        #expect(try decoder.nextFrame() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("header checks run in order: magic, version, flags, length")
    func checkOrder() {
        let all = headerBytes(magic: 0, version: 9, flags: 0x80, length: .max)
        #expect(decode(all).error == WireError(.badMagic(0)))
        #expect(decode(headerBytes(version: 9, flags: 0x80, length: .max)).error == WireError(.unsupportedVersion(9)))
        #expect(decode(headerBytes(flags: 0x80, length: .max)).error == WireError(.unknownFlags(0x80)))
    }

    @Test("frames before a bad header are still returned")
    func framesBeforeError() throws {
        var decoder = FrameDecoder()
        decoder.append(Self.frames[1].bytes + headerBytes(version: 2))
        #expect(try decoder.nextFrame() == Self.frames[1])
        #expect(caught { () throws(WireError) in try decoder.nextFrame() } == WireError(.unsupportedVersion(2)))
    }

    @Test("the decoder stays failed after an error")
    func staysFailed() {
        var decoder = FrameDecoder()
        decoder.append(headerBytes(magic: 0x1234))
        let error = WireError(.badMagic(0x1234))
        #expect(caught { () throws(WireError) in try decoder.nextFrame() } == error)
        decoder.append(Self.stream)
        for _ in 0 ..< 3 {
            #expect(caught { () throws(WireError) in try decoder.nextFrame() } == error)
        }
        #expect(caught { () throws(WireError) in try decoder.finish() } == error)
    }

    // MARK: End of stream

    @Test("finish after whole frames or nothing")
    func cleanFinish() throws {
        var decoder = FrameDecoder()
        #expect(caught { () throws(WireError) in try decoder.finish() } == nil)
        decoder.append(Self.stream)
        while try decoder.nextFrame() != nil {}
        #expect(caught { () throws(WireError) in try decoder.finish() } == nil)
    }

    @Test("finish inside a frame reports the bytes it holds")
    func truncatedAtFinish() {
        let frame = Self.frames[0].bytes
        for cut in 1 ..< frame.count {
            #expect(decode(Array(frame[..<cut])).error == WireError(.truncatedFrame(buffered: cut)), "cut at \(cut)")
        }
    }

    @Test("finish before frames are drained counts them as truncated")
    func finishWithoutDraining() {
        var decoder = FrameDecoder()
        decoder.append(Self.frames[1].bytes)
        #expect(caught { () throws(WireError) in try decoder.finish() }
            == WireError(.truncatedFrame(buffered: Self.frames[1].bytes.count)))
    }

    // MARK: Buffer management

    @Test("ten thousand frames, each in two pieces")
    func manyFrames() throws {
        var decoder = FrameDecoder()
        let frame = Self.frames[1].bytes
        var count = 0
        for _ in 0 ..< 10_000 {
            decoder.append(frame[..<5])
            decoder.append(frame[5...])
            while try decoder.nextFrame() != nil { count += 1 }
            #expect(decoder.bufferedByteCount == 0)
        }
        #expect(count == 10_000)
    }
}
