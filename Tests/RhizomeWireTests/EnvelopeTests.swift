import RhizomeWire
import Testing

@Suite("Envelope and MessageAssembler")
struct EnvelopeTests {
    static func envelope(size: Int, source: UInt32 = 1, stream: UInt32 = 0, type: UInt8 = 11) -> Envelope {
        let body = (0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(source)) }
        return Envelope(type: type, destination: .controller, source: NodeID(source), stream: stream, body: body)
    }

    @Test("frame sizes and flags around the chunk size",
          arguments: [
              (0, [0]), (1, [1]), (FrameLimits.chunkPayload - 1, [FrameLimits.chunkPayload - 1]),
              (FrameLimits.chunkPayload, [FrameLimits.chunkPayload]),
              (FrameLimits.chunkPayload + 1, [FrameLimits.chunkPayload, 1]),
              (2 * FrameLimits.chunkPayload + 100, [FrameLimits.chunkPayload, FrameLimits.chunkPayload, 100]),
          ])
    func chunking(size: Int, expected: [Int]) {
        let envelope = Self.envelope(size: size)
        let frames = envelope.frames()
        #expect(frames.map(\.payload.count) == expected)
        for (index, frame) in frames.enumerated() {
            let isLast = index == frames.count - 1
            #expect(frame.header.flags == (isLast ? [] : .more))
            #expect(frame.header.type == envelope.type)
            #expect(frame.header.source == envelope.source)
            #expect(frame.header.destination == envelope.destination)
            #expect(frame.header.stream == envelope.stream)
            #expect(frame.header.length == UInt32(frame.payload.count))
        }
        #expect(frames.flatMap(\.payload) == envelope.body)
        #expect(envelope.encodedFrames() == frames.flatMap(\.bytes))
    }

    @Test("a chunked message reassembles only at its last frame")
    func reassembly() throws {
        let envelope = Self.envelope(size: 3 * FrameLimits.chunkPayload + 5)
        var assembler = MessageAssembler()
        let frames = envelope.frames()
        for frame in frames.dropLast() {
            #expect(try assembler.push(frame) == nil)
            #expect(assembler.pendingCount == 1)
        }
        #expect(try assembler.push(frames.last!) == envelope)
        #expect(assembler.pendingCount == 0)
    }

    @Test("interleaved streams reassemble independently")
    func interleaved() throws {
        // Same source on two streams, another source on the first stream number,
        // and the same (source, stream) with another type: four partial messages.
        let big = [
            Self.envelope(size: 200, source: 1, stream: 1),
            Self.envelope(size: 130, source: 1, stream: 2),
            Self.envelope(size: 170, source: 2, stream: 1),
            Self.envelope(size: 90, source: 1, stream: 1, type: 12),
        ]
        let single = Envelope(Ping(nonce: 5), destination: NodeID(1), source: NodeID(1), stream: 1)
        var queues = big.map { $0.frames(chunkSize: 32)[...] }
        var wire: [Frame] = []
        var rounds = 0
        while queues.contains(where: { !$0.isEmpty }) {
            rounds += 1
            for index in queues.indices {
                if let frame = queues[index].popFirst() { wire.append(frame) }
            }
            wire += single.frames()
        }
        // Through the decoder too, byte by byte.
        let decoded = decode(pieces: wire.flatMap(\.bytes).map { [$0] })
        #expect(decoded == DecodedStream(frames: wire))

        var assembler = MessageAssembler()
        var received: [Envelope] = []
        for frame in decoded.frames {
            if let envelope = try assembler.push(frame) { received.append(envelope) }
        }
        #expect(assembler.pendingCount == 0)
        #expect(received.count == big.count + rounds)
        #expect(received.filter { $0 == single }.count == rounds)
        #expect(Set(received.filter { $0 != single }) == Set(big))
    }

    @Test("a message of exactly the limit is accepted, one byte more is not")
    func oversizedReassembly() throws {
        let chunk = [UInt8](repeating: 7, count: FrameLimits.maxFramePayload)
        let count = FrameLimits.maxMessage / chunk.count
        func frame(_ payload: [UInt8], more: Bool) -> Frame {
            Frame(type: 11, flags: more ? .more : [], destination: .controller, source: NodeID(3), stream: 4,
                  payload: payload)
        }

        var assembler = MessageAssembler()
        for _ in 0 ..< count - 1 { #expect(try assembler.push(frame(chunk, more: true)) == nil) }
        let whole = try #require(try assembler.push(frame(chunk, more: false)))
        #expect(whole.body.count == FrameLimits.maxMessage)

        for _ in 0 ..< count { #expect(try assembler.push(frame(chunk, more: true)) == nil) }
        let error = caught { () throws(WireError) in try assembler.push(frame([1], more: false)) }
        #expect(error == WireError(.oversizedMessage(FrameLimits.maxMessage + 1)))
        // The partial message is dropped with the error.
        #expect(assembler.pendingCount == 0)
    }

    @Test("a link holds a bounded number of half-received messages, of bounded size together")
    func partialMessagesBounded() throws {
        func frame(_ payload: [UInt8], stream: UInt32, more: Bool = true) -> Frame {
            Frame(type: 11, flags: more ? .more : [], destination: .controller, source: NodeID(3), stream: stream,
                  payload: payload)
        }
        // Empty frames with `more` on ever new streams: the table stops growing.
        var assembler = MessageAssembler()
        for stream in 0 ..< UInt32(FrameLimits.maxPartialMessages) { #expect(try assembler.push(frame([], stream: stream)) == nil) }
        let count = caught { () throws(WireError) in try assembler.push(frame([], stream: 1 << 30)) }
        #expect(count == WireError(.tooManyPartialMessages(count: FrameLimits.maxPartialMessages + 1, bytes: 0)))
        // A message on a stream already open still completes.
        #expect(try assembler.push(frame([1, 2], stream: 5, more: false))?.body == [1, 2])

        // Large partial messages on many streams: bounded in bytes.
        var big = MessageAssembler()
        let chunk = [UInt8](repeating: 1, count: FrameLimits.maxFramePayload)
        let fits = FrameLimits.maxPartialBytes / chunk.count
        for stream in 0 ..< UInt32(fits) { #expect(try big.push(frame(chunk, stream: stream)) == nil) }
        let bytes = caught { () throws(WireError) in try big.push(frame([9], stream: 0)) }
        #expect(bytes == WireError(.tooManyPartialMessages(count: fits, bytes: FrameLimits.maxPartialBytes + 1)))
        // Completing messages frees their bytes.
        var freed = MessageAssembler()
        for round in 0 ..< 3 * fits {
            let stream = UInt32(round % 8)
            #expect(try freed.push(frame(chunk, stream: stream)) == nil)
            #expect(try freed.push(frame([], stream: stream, more: false))?.body.count == chunk.count)
        }
        #expect(freed.pendingCount == 0)
    }

    @Test("forget(source:) drops only that node's partial messages")
    func forget() throws {
        var assembler = MessageAssembler()
        let one = Self.envelope(size: 100, source: 1, stream: 1).frames(chunkSize: 60)
        let other = Self.envelope(size: 100, source: 2, stream: 1).frames(chunkSize: 60)
        #expect(try assembler.push(one[0]) == nil)
        #expect(try assembler.push(other[0]) == nil)
        #expect(assembler.pendingCount == 2)
        assembler.forget(source: NodeID(1))
        #expect(assembler.pendingCount == 1)
        // The rest of a forgotten message arrives as a message of its own.
        #expect(try assembler.push(one[1])?.body == one[1].payload)
        #expect(try assembler.push(other[1]) == Self.envelope(size: 100, source: 2, stream: 1))
        #expect(assembler.pendingCount == 0)
        assembler.forget(source: NodeID(9))
        #expect(assembler.pendingCount == 0)
    }

    @Test("the destination of a message is its last frame's")
    func destinationOfLastFrame() throws {
        var frames = Self.envelope(size: 10).frames(chunkSize: 4)
        frames[0].header.destination = NodeID(99)
        var assembler = MessageAssembler()
        var result: Envelope?
        for frame in frames { result = try assembler.push(frame) }
        #expect(result?.destination == frames.last?.header.destination)
    }

    @Test("empty chunks are allowed")
    func emptyChunks() throws {
        var assembler = MessageAssembler()
        let more = Frame(type: 7, flags: .more, destination: .controller, source: NodeID(1), stream: 0, payload: [])
        let last = Frame(type: 7, destination: .controller, source: NodeID(1), stream: 0, payload: [])
        #expect(try assembler.push(more) == nil)
        #expect(try assembler.push(more) == nil)
        #expect(try assembler.push(last)?.body == [])
    }
}
