// libFuzzer target for the RhizomeWire codec.
//
// Built by compiling the RhizomeWire sources and this file as one module (see
// run.sh), so it needs no `import`. It uses only the library's public API.
//
// Every input goes through three paths:
//  1. as a byte stream: FrameDecoder -> MessageAssembler -> decode of the
//     envelope's body as the type its header names;
//  2. as a message body: decoded directly as every message type and as a
//     WireValue;
//  3. as JSON text, parsed into a WireValue.
// Besides crashes, the target checks properties that must hold for any input:
//  - the decoder yields the same frames and the same error however the stream
//    is split;
//  - whatever decodes re-encodes to bytes that decode to an equal value, and
//    that encoding is a fixed point;
//  - the JSON text of any decoded WireValue is valid JSON, parses back, and
//    the text of what it parses to is the same text.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = checkedTypes
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    fuzzStream(input)
    fuzzBodies(input)
    return 0
}

// MARK: Stream path

/// What a decoder makes of a stream: the frames it yielded, then how it ended.
struct StreamOutcome: Equatable {
    var frames: [Frame] = []
    var error: WireError?
}

func decodeStream(_ input: [UInt8], pieceSizes: [Int]) -> StreamOutcome {
    var decoder = FrameDecoder()
    var outcome = StreamOutcome()
    var offset = 0
    var piece = 0
    do {
        while offset < input.count {
            let size = pieceSizes.isEmpty ? input.count : pieceSizes[piece % pieceSizes.count]
            piece += 1
            let end = min(input.count, offset + size)
            decoder.append(input[offset ..< end])
            offset = end
            while let frame = try decoder.nextFrame() {
                outcome.frames.append(frame)
            }
        }
    } catch {
        outcome.error = error
        // A failed decoder stays failed, whatever comes next.
        decoder.append([0x52, 0x5A])
        do {
            _ = try decoder.nextFrame()
            fatalError("decoder recovered after \(error)")
        } catch {
            precondition(error == outcome.error, "decoder changed its error")
        }
    }
    if outcome.error == nil {
        do {
            try decoder.finish()
        } catch {
            guard case .truncatedFrame = error.code else { fatalError("finish threw \(error)") }
            outcome.error = error
        }
    } else {
        do {
            try decoder.finish()
            fatalError("failed decoder finished cleanly")
        } catch {
            precondition(error == outcome.error, "finish changed the error")
        }
    }
    // Frames are re-encoded byte for byte.
    var reencoded: [UInt8] = []
    for frame in outcome.frames { frame.write(into: &reencoded) }
    precondition(reencoded == Array(input[0 ..< reencoded.count]), "frame bytes differ from the input")
    return outcome
}

func fuzzStream(_ input: [UInt8]) {
    let whole = decodeStream(input, pieceSizes: [])
    let bytewise = decodeStream(input, pieceSizes: [1])
    let uneven = decodeStream(input, pieceSizes: [3, 1, 22, 7, 64, 2])
    precondition(whole == bytewise && whole == uneven, "decoder output depends on how the stream is split")

    var assembler = MessageAssembler()
    for frame in whole.frames {
        precondition(frame.payload.count <= FrameLimits.maxFramePayload)
        let envelope: Envelope?
        do {
            envelope = try assembler.push(frame)
        } catch {
            guard case .oversizedMessage = error.code else { fatalError("assembler threw \(error)") }
            return
        }
        guard let envelope else { continue }
        precondition(envelope.body.count <= FrameLimits.maxMessage)
        decodeEnvelope(envelope)
    }
    assembler.forget(source: NodeID(0))
}

/// What the target knows how to decode, by type. A type missing here is still
/// carried by the frame layer; add it so its decoder is fuzzed too.
struct MessageChecker {
    var type: MessageType
    var envelope: (Envelope) -> Void
    var body: ([UInt8]) -> Void

    init<M: WireMessage & Equatable>(_: M.Type) {
        type = M.messageType
        envelope = { check($0, M.self) }
        body = { decodeBody($0, M.self) }
    }
}

let checkers: [MessageChecker] = [
    MessageChecker(Hello.self), MessageChecker(Welcome.self), MessageChecker(Ping.self), MessageChecker(Pong.self),
    MessageChecker(Shutdown.self), MessageChecker(ProtocolErrorMessage.self), MessageChecker(LogRecord.self),
    MessageChecker(RunTask.self), MessageChecker(TaskOutput.self), MessageChecker(TaskResult.self),
    MessageChecker(CancelTask.self),
    MessageChecker(SpawnChild.self), MessageChecker(ChildUp.self), MessageChecker(ChildDown.self),
    MessageChecker(SignRequest.self), MessageChecker(SignResponse.self),
    MessageChecker(PayloadRequest.self), MessageChecker(PayloadChunk.self), MessageChecker(PayloadError.self),
    MessageChecker(PayloadCredit.self), MessageChecker(StatsRequest.self), MessageChecker(StatsReport.self),
]

/// Every type the library defines has a checker; a new type without one stops the fuzzer at once.
let checkedTypes: Void = {
    let missing = Set(MessageType.allCases).subtracting(checkers.map(\.type))
    precondition(missing.isEmpty, "no checker for \(missing.sorted { $0.rawValue < $1.rawValue })")
}()

func decodeEnvelope(_ envelope: Envelope) {
    for checker in checkers where checker.type.rawValue == envelope.type {
        checker.envelope(envelope)
    }
}

func check<M: WireMessage & Equatable>(_ envelope: Envelope, _: M.Type) {
    guard let message = try? envelope.decode(M.self) else { return }
    checkRoundTrip(message)
    // Re-framing the message (cut into small chunks) reassembles to the same body.
    let again = Envelope(message, destination: envelope.destination, source: envelope.source, stream: envelope.stream)
    var assembler = MessageAssembler()
    var result: Envelope?
    for frame in again.frames(chunkSize: 5) {
        precondition(result == nil, "envelope completed before its last frame")
        result = try! assembler.push(frame)
    }
    precondition(result == again, "reassembled envelope differs")
    precondition(assembler.pendingCount == 0)
}

// MARK: Body path

func fuzzBodies(_ input: [UInt8]) {
    for checker in checkers { checker.body(input) }

    var reader = ByteReader(input)
    if let value = try? WireValue(from: &reader) {
        var writer = ByteWriter()
        value.encode(into: &writer)
        var again = ByteReader(writer.bytes)
        let decoded = try! WireValue(from: &again)
        precondition(again.remaining == 0 && decoded == value, "WireValue round trip differs")
        precondition(decoded.hashValue == value.hashValue, "equal WireValues hash differently")
        checkJSON(value.jsonText)
        checkJSON(value.prettyJSONText)
        // The parser accepts whatever the writer produces, and text is a fixed point.
        let parsed = try! WireValue(jsonText: value.prettyJSONText)
        precondition(parsed.jsonText == value.jsonText, "JSON text does not survive a round trip")
    }

    // Arbitrary bytes as JSON text.
    if let value = try? WireValue(jsonText: String(decoding: input, as: UTF8.self)) {
        checkJSON(value.jsonText)
        let parsed = try! WireValue(jsonText: value.jsonText)
        precondition(parsed.jsonText == value.jsonText, "parsed JSON does not survive a round trip")
    }

    // Primitive reads never trap, whatever the bytes.
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
            if let seconds = try? primitives.readDuration() { precondition(seconds.isFinite && seconds >= 0) }
        default:
            if let digest = try? primitives.readDigest() { precondition(digest.count == 32) }
        }
    }
}

func decodeBody<M: WireMessage & Equatable>(_ input: [UInt8], _: M.Type) {
    guard let message = try? M(body: input) else { return }
    checkRoundTrip(message)
}

/// decode(encode(m)) == m, and encoding is a fixed point.
func checkRoundTrip<M: WireMessage & Equatable>(_ message: M) {
    let body = message.encodedBody
    let decoded: M
    do {
        decoded = try M(body: body)
    } catch {
        fatalError("\(M.self) does not decode its own encoding: \(error)")
    }
    precondition(decoded == message, "\(M.self) round trip differs")
    precondition(decoded.encodedBody == body, "\(M.self) encoding is not a fixed point")
}

// MARK: JSON syntax check

/// Checks `text` against the JSON grammar (RFC 8259); traps if it does not conform.
func checkJSON(_ text: String) {
    var parser = JSONChecker(Array(text.utf8))
    parser.skipSpace()
    parser.value(depth: 0)
    parser.skipSpace()
    precondition(parser.index == parser.bytes.count, "trailing text after JSON value")
}

struct JSONChecker {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
    }

    mutating func expect(_ literal: String) {
        for b in literal.utf8 {
            precondition(peek == b, "bad JSON literal")
            index += 1
        }
    }

    mutating func value(depth: Int) {
        precondition(depth < 200)
        guard let b = peek else { fatalError("JSON ends early") }
        switch b {
        case UInt8(ascii: "n"): expect("null")
        case UInt8(ascii: "t"): expect("true")
        case UInt8(ascii: "f"): expect("false")
        case UInt8(ascii: "\""): string()
        case UInt8(ascii: "["):
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { index += 1; return }
            while true {
                skipSpace()
                value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                expect("]")
                return
            }
        case UInt8(ascii: "{"):
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipSpace()
                string()
                skipSpace()
                expect(":")
                skipSpace()
                value(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                expect("}")
                return
            }
        default: number()
        }
    }

    mutating func string() {
        expect("\"")
        while true {
            guard let b = peek else { fatalError("unterminated JSON string") }
            index += 1
            switch b {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let e = peek else { fatalError("JSON ends inside an escape") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    for _ in 0 ..< 4 {
                        guard let h = peek, isHex(h) else { fatalError("bad \\u escape") }
                        index += 1
                    }
                default: fatalError("bad JSON escape")
                }
            default:
                precondition(b >= 0x20, "unescaped control character in JSON string")
            }
        }
    }

    mutating func number() {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { fatalError("bad JSON number") }
        index += 1
        if first != UInt8(ascii: "0") { while let d = peek, isDigit(d) { index += 1 } }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let d = peek, isDigit(d) else { fatalError("bad JSON fraction") }
            while let d = peek, isDigit(d) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let d = peek, isDigit(d) else { fatalError("bad JSON exponent") }
            while let d = peek, isDigit(d) { index += 1 }
        }
    }

    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }
}
