import RhizomeIO
import RhizomeWire
import Testing
@testable import RhizomeMesh

/// SplitMix64: the same interleavings for the same seed, on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Passes everything a link delivers on to another link, as a relay does,
/// sometimes at once and sometimes a few loop turns later (in arrival order).
final class Forwarder: LinkDelegate {
    var next: Link!
    var random: SeededGenerator
    private var backlog: [Envelope] = []
    private let loop: EventLoop

    init(loop: EventLoop, seed: UInt64) {
        self.loop = loop
        random = SeededGenerator(state: seed)
    }

    func link(_ link: Link, didReceive envelope: Envelope) {
        backlog.append(envelope)
        if Bool.random(using: &random) { flush() } else { loop.schedule(after: 0) { [weak self] in self?.flush() } }
    }

    private func flush() {
        for envelope in backlog { next.send(envelope) }
        backlog.removeAll()
    }

    func link(_ link: Link, didCloseWith reason: String?) {}
}

@Suite("message order through relays")
struct RelayOrderingTests {
    @Test("task output, results and losses are bulk; pings, spawns and signatures are control")
    func classes() {
        let bulk: [MessageType] = [.taskOutput, .taskResult, .payloadChunk, .childDown, .log]
        for type in bulk { #expect(Link.Priority(of: type) == .bulk, "\(type)") }
        let control: [MessageType] = [.ping, .pong, .runTask, .cancelTask, .spawnChild, .childUp, .signRequest, .signResponse,
                                      .payloadRequest, .payloadCredit, .statsRequest, .statsReport, .shutdown]
        for type in control { #expect(Link.Priority(of: type) == .control, "\(type)") }
        #expect(Link.Priority(of: nil) == .control)
    }

    /// Random mixes of tasks' output (large and small, both streams), their
    /// results, pings and spawn news, sent from an origin through two relays
    /// to the controller, with the relays forwarding at random moments.
    @Test("a task's result arrives after all of its output, through two relays, whatever the interleaving",
          arguments: [UInt64(1), 2, 3, 5, 8, 13, 21, 34])
    func resultNeverOvertakesOutput(seed: UInt64) throws {
        let loop = try EventLoop()
        func pipeLink(_ local: NodeID, _ peer: NodeID) throws -> (Link, Link) {
            let down = try FileDescriptor.pipe()
            let up = try FileDescriptor.pipe()
            let sending = Link(local: local, peer: peer, transport: FileDescriptorTransport(input: down.read, output: up.write))
            let receiving = Link(local: peer, peer: local, transport: FileDescriptorTransport(input: up.read, output: down.write))
            return (sending, receiving)
        }
        let origin = NodeID(3)
        let (fromOrigin, atRelay2) = try pipeLink(origin, NodeID(2))
        let (fromRelay2, atRelay1) = try pipeLink(NodeID(2), NodeID(1))
        let (fromRelay1, atController) = try pipeLink(NodeID(1), .controller)
        let relay2 = Forwarder(loop: loop, seed: seed &* 7)
        relay2.next = fromRelay2
        let relay1 = Forwarder(loop: loop, seed: seed &* 11)
        relay1.next = fromRelay1

        // What the origin sends, per task: output pieces then the result.
        var random = SeededGenerator(state: seed)
        let taskCount = 6
        var expected: [UInt32: [UInt8]] = [:]
        var plan: [Envelope] = []
        var open = Array(0 ..< UInt32(taskCount))
        var pieces: [UInt32: Int] = [:]
        while !open.isEmpty {
            let pick = Int.random(in: 0 ..< open.count, using: &random)
            let task = open[pick]
            switch Int.random(in: 0 ..< 10, using: &random) {
            case 0:
                plan.append(Envelope(Ping(nonce: UInt64(plan.count)), destination: .controller, source: origin))
            case 1:
                plan.append(Envelope(SignRequest(publicKey: [1], data: [UInt8(truncatingIfNeeded: plan.count)]), destination: .controller, source: origin))
            case 2 where pieces[task, default: 0] > 2:
                plan.append(Envelope(TaskResult(rc: 0, stdoutBytes: UInt64(expected[task]?.count ?? 0)),
                                     destination: .controller, source: origin, stream: task))
                open.remove(at: pick)
            default:
                let size = Bool.random(using: &random) ? Int.random(in: 1 ..< 300, using: &random)
                                                       : Int.random(in: 60_000 ..< 400_000, using: &random)
                let data = (0 ..< size).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
                expected[task, default: []] += data
                pieces[task, default: 0] += 1
                plan.append(Envelope(TaskOutput(stream: .stdout, data: data), destination: .controller, source: origin, stream: task))
            }
        }

        final class Collector: LinkDelegate {
            var output: [UInt32: [UInt8]] = [:]
            var results: [UInt32: [UInt8]] = [:]
            var late: [UInt32] = []
            var pings = 0
            let total: Int
            let loop: EventLoop
            init(total: Int, loop: EventLoop) { self.total = total; self.loop = loop }
            func link(_ link: Link, didReceive envelope: Envelope) {
                switch envelope.messageType {
                case .taskOutput:
                    if results[envelope.stream] != nil { late.append(envelope.stream) }
                    output[envelope.stream, default: []] += (try? envelope.decode(TaskOutput.self).data) ?? []
                case .taskResult:
                    results[envelope.stream] = output[envelope.stream] ?? []
                    if results.count == total { loop.stop() }
                case .ping: pings += 1
                default: break
                }
            }
            func link(_ link: Link, didCloseWith reason: String?) {}
        }
        let controller = Collector(total: taskCount, loop: loop)
        let sink = Recorder(loop: loop)
        fromOrigin.start(on: loop, delegate: sink)
        atRelay2.start(on: loop, delegate: relay2)
        fromRelay2.start(on: loop, delegate: sink)
        atRelay1.start(on: loop, delegate: relay1)
        fromRelay1.start(on: loop, delegate: sink)
        atController.start(on: loop, delegate: controller)

        // The origin sends in bursts between loop turns, as tasks produce output.
        var index = 0
        func burst() {
            let count = Int.random(in: 1 ... 8, using: &random)
            for _ in 0 ..< count where index < plan.count {
                fromOrigin.send(plan[index])
                index += 1
            }
            if index < plan.count { loop.schedule(after: 0) { burst() } }
        }
        burst()
        loop.schedule(after: 20) { loop.stop() }  // bound every test
        loop.run()

        #expect(controller.late.isEmpty, "output after its result for tasks \(controller.late)")
        #expect(controller.results.count == taskCount)
        for task in 0 ..< UInt32(taskCount) {
            let before = controller.results[task], sent = expected[task] ?? []
            // A Bool, so that a failure prints sizes rather than megabytes.
            let whole = before == sent
            #expect(whole, "task \(task): \(before?.count ?? -1) of \(sent.count) output bytes came before its result")
        }
        #expect(controller.pings == plan.filter { $0.messageType == .ping }.count)
    }
}
