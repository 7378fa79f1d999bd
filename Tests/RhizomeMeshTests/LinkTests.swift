import RhizomeIO
import RhizomeWire
import Testing
@testable import RhizomeMesh

/// Records what a link delivers; stops the loop when `done` says so.
final class Recorder: LinkDelegate {
    var envelopes: [Envelope] = []
    var closed: [String?] = []
    var diagnostics: [String] = []
    var done: (Recorder) -> Bool = { _ in false }
    let loop: EventLoop

    init(loop: EventLoop) { self.loop = loop }

    func link(_ link: Link, didReceive envelope: Envelope) {
        envelopes.append(envelope)
        if done(self) { loop.stop() }
    }
    func link(_ link: Link, didReceiveDiagnostics text: String) { diagnostics.append(text) }
    func link(_ link: Link, didCloseWith reason: String?) {
        closed.append(reason)
        if done(self) { loop.stop() }
    }
}

@Suite("framed links over pipes")
struct LinkTests {
    /// Two links joined by a pair of pipes.
    func pair(loop: EventLoop) throws -> (Link, Link, FileDescriptor) {
        let aToB = try FileDescriptor.pipe()
        let bToA = try FileDescriptor.pipe()
        let a = Link(local: .controller, peer: NodeID(1), transport: FileDescriptorTransport(input: bToA.read, output: aToB.write))
        let b = Link(local: NodeID(1), peer: .controller, transport: FileDescriptorTransport(input: aToB.read, output: bToA.write))
        return (a, b, aToB.write)
    }

    func runLoop(_ loop: EventLoop, seconds: Double = 10) {
        loop.schedule(after: seconds) { loop.stop() }  // bound every test
        loop.run()
    }

    @Test("messages larger than a frame are chunked and arrive whole, in order")
    func largeMessages() throws {
        let loop = try EventLoop()
        let (a, b, _) = try pair(loop: loop)
        let sender = Recorder(loop: loop)
        let receiver = Recorder(loop: loop)
        receiver.done = { $0.envelopes.count == 3 }
        a.start(on: loop, delegate: sender)
        b.start(on: loop, delegate: receiver)
        let big = [UInt8]((0 ..< 3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        a.send(Envelope(TaskOutput(stream: .stdout, data: big), destination: NodeID(1), source: .controller, stream: 5))
        a.send(Envelope(Ping(nonce: 1), destination: NodeID(1), source: .controller))
        a.send(Envelope(TaskOutput(stream: .stderr, data: [1]), destination: NodeID(1), source: .controller, stream: 5))
        runLoop(loop)
        try #require(receiver.envelopes.count == 3)
        #expect(receiver.envelopes.map(\.messageType) == [.ping, .taskOutput, .taskOutput])
        #expect(try receiver.envelopes[1].decode(TaskOutput.self).data == big)
        #expect(a.statistics.framesSent == b.statistics.framesReceived)
        #expect(a.statistics.bytesSent == b.statistics.bytesReceived)
        #expect(a.statistics.framesSent > 40, "3 MB must travel as many frames")
    }

    @Test("a control message overtakes bulk data queued before it")
    func controlOvertakesBulk() throws {
        let loop = try EventLoop()
        let (a, b, _) = try pair(loop: loop)
        let receiver = Recorder(loop: loop)
        receiver.done = { $0.envelopes.count == 9 }
        a.start(on: loop, delegate: Recorder(loop: loop))
        b.start(on: loop, delegate: receiver)
        for index in 0 ..< 8 {
            let chunk = [UInt8](repeating: UInt8(index), count: 1 << 20)
            a.send(Envelope(TaskOutput(stream: .stdout, data: chunk), destination: NodeID(1), source: .controller, stream: UInt32(index)))
        }
        a.send(Envelope(Ping(nonce: 9), destination: NodeID(1), source: .controller))
        runLoop(loop)
        let position = receiver.envelopes.firstIndex { $0.messageType == .ping }
        #expect(position != nil && position! < 8, "ping arrived at \(String(describing: position)) of \(receiver.envelopes.count)")
    }

    @Test("garbage on the wire closes the link with a protocol error")
    func garbage() throws {
        let loop = try EventLoop()
        let (_, b, rawWriter) = try pair(loop: loop)
        let receiver = Recorder(loop: loop)
        receiver.done = { !$0.closed.isEmpty }
        b.start(on: loop, delegate: receiver)
        try rawWriter.writeAll(Array("this is not a frame at all, not even close".utf8))
        runLoop(loop)
        #expect(receiver.closed.count == 1)
        #expect(receiver.closed.first??.contains("bad frame magic") == true)
        #expect(b.isClosed)
    }

    @Test("a peer that goes away mid-frame is reported as such")
    func truncated() throws {
        let loop = try EventLoop()
        let (_, b, rawWriter) = try pair(loop: loop)
        let receiver = Recorder(loop: loop)
        receiver.done = { !$0.closed.isEmpty }
        b.start(on: loop, delegate: receiver)
        let frame = Envelope(Ping(nonce: 1), destination: NodeID(1), source: .controller).encodedFrames()
        try rawWriter.writeAll(Array(frame.prefix(10)))
        rawWriter.close()
        runLoop(loop)
        #expect(receiver.closed.first??.contains("link closed in the middle of a frame") == true)
    }

    @Test("a clean close has no reason")
    func cleanClose() throws {
        let loop = try EventLoop()
        let (_, b, rawWriter) = try pair(loop: loop)
        let receiver = Recorder(loop: loop)
        receiver.done = { !$0.closed.isEmpty }
        b.start(on: loop, delegate: receiver)
        rawWriter.close()
        runLoop(loop)
        #expect(receiver.closed == [nil])
    }
}
