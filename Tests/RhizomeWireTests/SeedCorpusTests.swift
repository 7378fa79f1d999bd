import Foundation
import RhizomeWire
import Testing

/// The seeds of the fuzz target are written by `Fuzz/WireFuzz/make-seeds.py`
/// from docs/wire-protocol.md, not from the Swift code. That they decode is a
/// check of the document.
@Suite("Seed corpus of the fuzz target")
struct SeedCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/WireFuzz/corpus")

    static func seed(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: corpus.appendingPathComponent(name)))
    }

    /// Bare bodies, by seed name, and the type each is.
    static let bodies: [(String, MessageType)] = [
        ("body-hello", .hello), ("body-welcome", .welcome), ("body-run-task", .runTask),
        ("body-task-result", .taskResult), ("body-spawn-child", .spawnChild),
        ("body-spawn-child-keys-only", .spawnChild), ("body-child-up", .childUp), ("body-child-down", .childDown),
        ("body-sign-request", .signRequest), ("body-sign-response", .signResponse),
        ("body-sign-refused", .signResponse), ("body-payload-request", .payloadRequest),
        ("body-payload-chunk-lz4", .payloadChunk), ("body-payload-chunk-raw", .payloadChunk),
        ("body-payload-chunk-empty", .payloadChunk), ("body-payload-error", .payloadError),
        ("body-stats-report", .statsReport),
    ]

    static let streams = ["stream-handshake", "stream-ping-pong", "stream-task", "stream-chunked-interleaved",
                          "stream-control", "stream-spawn", "stream-payload", "stream-stats"]

    @Test("every message type has a seed")
    func everyTypeSeeded() throws {
        var seeded = Set(Self.bodies.map(\.1))
        for name in Self.streams {
            for envelope in try envelopes(of: Self.seed(name)) {
                if let type = envelope.messageType { seeded.insert(type) }
            }
        }
        #expect(seeded == Set(MessageType.allCases))
    }

    @Test("a body seed decodes as its type, and re-encodes to the same bytes", arguments: bodies)
    func body(name: String, type: MessageType) throws {
        let bytes = try Self.seed(name)
        let sample = try #require(FuzzReplay.typeSamples.first { Swift.type(of: $0).messageType == type })
        #expect(reencoded(bytes, as: sample) == bytes, "\(name)")
    }

    @Test("every message of a stream seed decodes as the type its frames name", arguments: streams)
    func stream(name: String) throws {
        for envelope in try envelopes(of: Self.seed(name)) {
            guard let type = envelope.messageType else { continue }
            let sample = try #require(FuzzReplay.typeSamples.first { Swift.type(of: $0).messageType == type })
            #expect(reencoded(envelope.body, as: sample) == envelope.body, "\(name): \(type)")
        }
    }

    private func envelopes(of bytes: [UInt8]) throws -> [Envelope] {
        let stream = decode(bytes)
        #expect(stream.error == nil)
        var assembler = MessageAssembler()
        return try stream.frames.compactMap { try assembler.push($0) }
    }

    private func reencoded<M: WireMessage & Hashable>(_ body: [UInt8], as _: M) -> [UInt8]? {
        (try? M(body: body))?.encodedBody
    }
}
