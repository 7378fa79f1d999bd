import RhizomeStore
import RhizomeWire
import Testing
@testable import RhizomeMesh

@Suite("agent handshake")
struct AgentHandshakeTests {
    let welcome = Welcome(node: NodeID(7), parent: .controller, keepaliveInterval: 15)
    let image: [UInt8] = Array("agent image".utf8)

    func hello(digest: [UInt8]) -> Hello {
        Hello(agentVersion: "0.1.0", imageDigest: digest, pid: 42, system: "Linux", release: "6.1", machine: "x86_64",
              hostname: "web1", directory: "/dev/shm")
    }

    /// A reader over fixed chunks.
    func reader(_ chunks: [[UInt8]]) -> MarkerReader {
        var remaining = chunks[...]
        return MarkerReader(endpoint: "test") {
            guard let next = remaining.popFirst() else { throw BootstrapError(endpoint: "test", message: "eof") }
            return next
        }
    }

    @Test("junk before the marker is skipped; hello is read and welcome sent", arguments: [1, 3, 7, 1000])
    func handshake(chunkSize: Int) throws {
        let helloBytes = Envelope(hello(digest: Digest.sha256(image).bytes), destination: .controller, source: NodeID(UInt32.max))
            .encodedFrames()
        let stream = Array("Welcome to host!\nlast login: never\n\(BootstrapScript.agentMarker)1\n".utf8) + helloBytes
        let chunks = stride(from: 0, to: stream.count, by: chunkSize).map { Array(stream[$0 ..< min($0 + chunkSize, stream.count)]) }
        var input = reader(chunks)
        var written: [UInt8] = []
        let (got, leftover, size) = try AgentHandshake(expectedDigest: Digest.sha256(image), welcome: welcome)
            .perform(reader: &input) { written += $0 }
        #expect(got.hostname == "web1")
        #expect(leftover.isEmpty)
        #expect(size == written.count)
        var decoder = FrameDecoder()
        decoder.append(written)
        let frame = try #require(try decoder.nextFrame())
        #expect(try Welcome(body: frame.payload) == welcome)
    }

    @Test("a protocol version mismatch is a clear error")
    func versionMismatch() throws {
        var input = reader([Array("\(BootstrapScript.agentMarker)9\n".utf8)])
        #expect {
            _ = try AgentHandshake(expectedDigest: nil, welcome: welcome).perform(reader: &input) { _ in }
        } throws: { error in
            "\(error)".contains("the agent speaks wire protocol 9, this controller speaks \(WireProtocol.version)")
        }
    }

    @Test("an image digest that differs from the one sent is refused")
    func digestMismatch() throws {
        let helloBytes = Envelope(hello(digest: Digest.sha256([0]).bytes), destination: .controller, source: NodeID(1))
            .encodedFrames()
        var input = reader([Array("\(BootstrapScript.agentMarker)1\n".utf8) + helloBytes])
        var written: [UInt8] = []
        #expect {
            _ = try AgentHandshake(expectedDigest: Digest.sha256(image), welcome: welcome).perform(reader: &input) { written += $0 }
        } throws: { error in
            "\(error)".contains("agent image corrupted in transit")
        }
        #expect(written.isEmpty, "no welcome to a corrupted agent")
    }

    @Test("a stage error line becomes the error")
    func stageError() throws {
        var input = reader([Array("noise\n\(BootstrapScript.stageErrorMarker)cannot install the agent\n".utf8)])
        #expect {
            _ = try input.readLine(until: BootstrapScript.stageMarker)
        } throws: { error in
            "\(error)" == "test: the stage reported: cannot install the agent"
        }
    }

    @Test("endless noise without the marker is cut off")
    func endlessNoise() throws {
        let noise = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 16)
        var input = reader(Array(repeating: noise, count: 20))
        #expect(throws: BootstrapError.self) { _ = try input.readLine(until: BootstrapScript.agentMarker) }
    }
}
