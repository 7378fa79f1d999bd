import RhizomeStore
import RhizomeWire
import Testing
@testable import RhizomeMesh

/// A consumer that keeps what it receives.
final class Collector: PayloadConsumer {
    var bytes: [UInt8] = []
    var result: String?? = .none
    var offsets: [UInt64] = []

    func payload(_ digest: Digest, bytes: [UInt8], offset: UInt64, total: UInt64) {
        offsets.append(offset)
        self.bytes += bytes
    }

    func payloadFinished(_ digest: Digest, error: String?) {
        result = .some(error)
    }
}

/// A tree of payload services joined by in-memory links, delivering messages
/// in order, one at a time, as a real link would.
final class PayloadTree {
    var services: [NodeID: PayloadService] = [:]
    var queue: [(from: NodeID, to: NodeID, stream: UInt32, message: any WireMessage)] = []
    var delivered: [NodeID: [NodeID: UInt64]] = [:]   // chunk bytes from → to
    let parents: [NodeID: NodeID]

    init(parents: [NodeID: NodeID], cache: Int = 64 << 20) {
        self.parents = parents
        let nodes = Set(parents.keys).union(parents.values)
        for node in nodes {
            services[node] = PayloadService(node: node, parent: parents[node], cacheCapacity: node == .controller ? 0 : cache) {
                [unowned self] destination, stream, message in
                self.queue.append((node, destination, stream, message))
            }
        }
    }

    func run(limit: Int = 1_000_000) {
        var steps = 0
        while !queue.isEmpty && steps < limit {
            steps += 1
            let (from, to, stream, message) = queue.removeFirst()
            guard let service = services[to] else { continue }
            switch message {
            case let request as PayloadRequest: service.handleRequest(from: from, stream: stream, request)
            case let credit as PayloadCredit: service.handleCredit(from: from, stream: stream, credit)
            case let chunk as PayloadChunk:
                delivered[from, default: [:]][to, default: 0] += UInt64(chunk.originalLength)
                service.handleChunk(stream: stream, chunk)
            case let error as PayloadError: service.handleError(stream: stream, error)
            default: Issue.record("unexpected \(message)")
            }
        }
    }
}

@Suite("payload distribution")
struct PayloadServiceTests {
    let controller = NodeID.controller
    let relay = NodeID(1)

    func payload(_ size: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0 ..< size).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
    }

    func source(_ bytes: [UInt8]) -> PayloadSource {
        PayloadSource(size: UInt64(bytes.count)) { offset, length in Array(bytes[Int(offset) ..< Int(offset) + length]) }
    }

    @Test("children of one relay get the payload; it crosses the relay's uplink once", arguments: [0, 1, 65_000, 3_000_000])
    func fanOut(size: Int) throws {
        let children = (2 ... 9).map { NodeID(UInt32($0)) }
        var parents: [NodeID: NodeID] = [relay: controller]
        for child in children { parents[child] = relay }
        let tree = PayloadTree(parents: parents)
        let data = payload(size)
        let digest = Digest.sha256(data)
        tree.services[controller]!.addSource(digest, source(data))
        let collectors = children.map { _ in Collector() }
        for (child, collector) in zip(children, collectors) {
            tree.services[child]!.fetch(digest, consumer: collector)
        }
        tree.run()
        for collector in collectors {
            #expect(collector.result == .some(nil))
            #expect(collector.bytes == data)
        }
        #expect(tree.delivered[controller]?[relay] ?? 0 == UInt64(size))
    }

    @Test("a child that asks after the transfer ended is served from the relay's cache")
    func lateChildFromCache() throws {
        let tree = PayloadTree(parents: [relay: controller, NodeID(2): relay, NodeID(3): relay])
        let data = payload(500_000)
        let digest = Digest.sha256(data)
        tree.services[controller]!.addSource(digest, source(data))
        let first = Collector()
        tree.services[NodeID(2)]!.fetch(digest, consumer: first)
        tree.run()
        let second = Collector()
        tree.services[NodeID(3)]!.fetch(digest, consumer: second)
        tree.run()
        #expect(first.bytes == data && second.bytes == data)
        #expect(tree.delivered[controller]?[relay] == 500_000)
        #expect(tree.services[relay]!.counters[NodeID(3)]?.fromCache == 1)
    }

    @Test("a payload larger than the relay's cache streams through in bounded memory")
    func largePayloadCutThrough() throws {
        let tree = PayloadTree(parents: [relay: controller, NodeID(2): relay, NodeID(3): relay], cache: 1 << 20)
        let data = payload(20 << 20)
        let digest = Digest.sha256(data)
        tree.services[controller]!.addSource(digest, source(data))
        let a = Collector()
        let b = Collector()
        tree.services[NodeID(2)]!.fetch(digest, consumer: a)
        tree.services[NodeID(3)]!.fetch(digest, consumer: b)
        tree.run()
        #expect(a.bytes == data && b.bytes == data)
        #expect(a.result == .some(nil) && b.result == .some(nil))
        #expect(tree.delivered[controller]?[relay] == UInt64(data.count))
    }

    @Test("a corrupted payload is refused by everyone on the way")
    func corruption() throws {
        let tree = PayloadTree(parents: [relay: controller, NodeID(2): relay])
        let data = payload(200_000)
        var lie = data
        lie[100] ^= 0xFF
        // The source claims the digest of `data` but serves `lie`.
        tree.services[controller]!.addSource(Digest.sha256(data), source(lie))
        let collector = Collector()
        tree.services[NodeID(2)]!.fetch(Digest.sha256(data), consumer: collector)
        tree.run()
        #expect(collector.result != .some(nil))
        #expect(collector.result??.contains("SHA-256 mismatch") == true)
    }

    @Test("an unknown payload fails with a clear error")
    func unknown() throws {
        let tree = PayloadTree(parents: [relay: controller, NodeID(2): relay])
        let collector = Collector()
        tree.services[NodeID(2)]!.fetch(Digest.sha256([1]), consumer: collector)
        tree.run()
        #expect(collector.result??.contains("no node on the way holds payload") == true)
    }
}
