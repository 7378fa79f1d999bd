import RhizomeWire
import Testing

@Suite("Messages")
struct MessageRoundTripTests {
    @Test("every message type has a sample")
    func everyTypeSampled() {
        let sampled = Set(sampleMessages.map { type(of: $0).messageType })
        #expect(sampled == Set(MessageType.allCases))
    }

    @Test("body round trip", arguments: sampleMessages)
    func bodyRoundTrip(message: any WireMessage & Hashable) throws {
        try checkBodyRoundTrip(message)
    }

    private func checkBodyRoundTrip<M: WireMessage & Hashable>(_ message: M) throws {
        let body = message.encodedBody
        let decoded = try M(body: body)
        #expect(decoded == message)
        #expect(decoded.encodedBody == body)
    }

    @Test("round trip through frames, the decoder and the assembler", arguments: sampleMessages)
    func streamRoundTrip(message: any WireMessage & Hashable) throws {
        try checkStreamRoundTrip(message)
    }

    private func checkStreamRoundTrip<M: WireMessage & Hashable>(_ message: M) throws {
        let envelope = Envelope(message, destination: NodeID(3), source: NodeID(9), stream: 77)
        // A small chunk size makes most samples travel as several frames.
        for chunkSize in [FrameLimits.chunkPayload, 7, 1] {
            let stream = decode(envelope.encodedFrames(chunkSize: chunkSize))
            #expect(stream.error == nil)
            var assembler = MessageAssembler()
            var received: [Envelope] = []
            for frame in stream.frames {
                if let complete = try assembler.push(frame) { received.append(complete) }
            }
            #expect(received == [envelope])
            #expect(assembler.pendingCount == 0)
            let decoded = try #require(received.first).decode(M.self)
            #expect(decoded == message)
        }
    }

    @Test("every strict prefix of a body is rejected", arguments: sampleMessages)
    func truncatedBodies(message: any WireMessage & Hashable) {
        checkTruncated(message)
    }

    private func checkTruncated<M: WireMessage & Hashable>(_ message: M) {
        let body = message.encodedBody
        // All fields are fixed-size or length-prefixed, so no prefix is a whole message.
        for length in 0 ..< body.count {
            #expect(isMalformed(caught { () throws(WireError) in try M(body: Array(body[..<length])) }),
                    "prefix of \(length) bytes of \(body.count)")
        }
    }

    @Test("trailing bytes after a body are rejected", arguments: sampleMessages)
    func trailingBytes(message: any WireMessage & Hashable) {
        checkTrailing(message)
    }

    private func checkTrailing<M: WireMessage & Hashable>(_ message: M) {
        let error = caught { () throws(WireError) in try M(body: message.encodedBody + [0]) }
        #expect(error == WireError(.malformedMessage("1 trailing bytes")))
    }

    @Test("decoding as the wrong type is refused")
    func wrongType() {
        let envelope = Envelope(Ping(nonce: 1), destination: NodeID(1), source: .controller)
        #expect(envelope.messageType == .ping)
        #expect(isMalformed(caught { () throws(WireError) in try envelope.decode(Pong.self) }))
        #expect((try? envelope.decode(Ping.self)) == Ping(nonce: 1))
    }

    @Test("an unknown type byte has no MessageType")
    func unknownType() {
        let known = Set(MessageType.allCases.map(\.rawValue))
        for raw in UInt8.min ... UInt8.max {
            let envelope = Envelope(type: raw, destination: NodeID(1), source: .controller, stream: 0, body: [])
            #expect((envelope.messageType != nil) == known.contains(raw))
        }
    }

    @Test("message type numbers are stable")
    func typeNumbers() {
        let expected: [(MessageType, UInt8)] = [
            (.hello, 1), (.welcome, 2), (.ping, 3), (.pong, 4), (.shutdown, 5), (.protocolError, 6), (.log, 7),
            (.runTask, 10), (.taskOutput, 11), (.taskResult, 12), (.cancelTask, 13),
            (.spawnChild, 20), (.childUp, 21), (.childDown, 22), (.signRequest, 23), (.signResponse, 24),
            (.payloadRequest, 30), (.payloadChunk, 31), (.payloadError, 32), (.payloadCredit, 33),
            (.statsRequest, 40), (.statsReport, 41),
        ]
        #expect(expected.count == MessageType.allCases.count)
        for (type, number) in expected {
            #expect(type.rawValue == number, "\(type)")
        }
    }

    // MARK: Field validation

    @Test("TaskOutput rejects an unknown output stream", arguments: [0, 3, 0xFF] as [UInt8])
    func badOutputStream(raw: UInt8) {
        let body = [raw, 0]
        #expect(isMalformed(caught { () throws(WireError) in try TaskOutput(body: body) }))
    }

    @Test("RunTask rejects a timeout that is not a finite non-negative number",
          arguments: [Double.nan, -Double.nan, .infinity, -.infinity, -1, -Double.leastNonzeroMagnitude])
    func badTimeout(timeout: Double) {
        let body = RunTask(module: "ping", timeout: timeout).encodedBody
        #expect(isMalformed(caught { () throws(WireError) in try RunTask(body: body) }))
    }

    @Test("RunTask keeps the last value of a repeated environment key")
    func repeatedEnvironmentKey() throws {
        let body = written { w in
            w.writeString("command")
            WireValue.map([]).encode(into: &w)
            w.writeLength(2)
            w.writeString("A")
            w.writeString("1")
            w.writeString("A")
            w.writeString("2")
            w.writeInteger(Double(0).bitPattern)
            w.writeInteger(UInt64(0))
        }
        #expect(try RunTask(body: body).environment == ["A": "2"])
    }

    @Test("RunTask rejects an environment count the body cannot hold")
    func hugeEnvironmentCount() {
        let body = written { w in
            w.writeString("command")
            WireValue.null.encode(into: &w)
            w.writeVarint(1 << 40)
        }
        #expect(isMalformed(caught { () throws(WireError) in try RunTask(body: body) }))
    }

    @Test("RunTask writes its environment sorted by key")
    func environmentOrder() throws {
        let task = RunTask(module: "m", arguments: .null, environment: ["b": "2", "a": "1", "c": "3"])
        let expected = written { w in
            w.writeString("m")
            WireValue.null.encode(into: &w)
            w.writeLength(3)
            for (key, value) in [("a", "1"), ("b", "2"), ("c", "3")] {
                w.writeString(key)
                w.writeString(value)
            }
            w.writeInteger(Double(0).bitPattern)
            w.writeInteger(UInt64(0))
        }
        #expect(task.encodedBody == expected)
    }

    @Test("TaskResult rejects a presence flag other than 0 or 1")
    func badPresenceFlag() {
        var body = TaskResult(rc: 3).encodedBody
        body[0] = 2
        #expect(caught { () throws(WireError) in try TaskResult(body: body) }
            == WireError(.malformedMessage("bad boolean 2")))
    }

    @Test("strings with invalid UTF-8 are repaired, not refused")
    func invalidUTF8() throws {
        let body: [UInt8] = [3, 0x61, 0xFF, 0x62]
        let shutdown = try Shutdown(body: body)
        #expect(shutdown.reason == "a\u{FFFD}b")
        #expect(try Shutdown(body: shutdown.encodedBody) == shutdown)
    }
}
