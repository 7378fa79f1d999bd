import RhizomeIO
import RhizomeStore
import RhizomeWire

/// Receives a payload, in order, as it arrives. Loop thread only.
public protocol PayloadConsumer: AnyObject {
    /// The next `bytes` at `offset` of a payload of `total` bytes. Not yet
    /// verified: use nothing before `payloadFinished` says so.
    func payload(_ digest: Digest, bytes: [UInt8], offset: UInt64, total: UInt64)
    /// The payload is complete and its SHA-256 checked (`error` nil), or failed.
    func payloadFinished(_ digest: Digest, error: String?)
}

/// A payload this node can read itself (the controller's files).
public struct PayloadSource: Sendable {
    public var size: UInt64
    /// Reads `length` bytes at `offset`.
    public var read: @Sendable (_ offset: UInt64, _ length: Int) throws -> [UInt8]

    public init(size: UInt64, read: @escaping @Sendable (_ offset: UInt64, _ length: Int) throws -> [UInt8]) {
        self.size = size
        self.read = read
    }
}

/// Payload distribution at one node: serves children from its cache, from a
/// transfer still arriving (cut-through) or from its own sources, and fetches
/// from its parent what it lacks, once however many ask at the same time.
///
/// Flow control is per transfer: a sender sends no more chunk bytes than the
/// receiver granted (`PayloadRequest.window`, then `PayloadCredit`). A relay
/// grants its parent more only as fast as its slowest child takes chunks,
/// unless the payload fits its cache, so a large file passing through holds
/// at most `relayWindow` bytes per transfer in memory.
public final class PayloadService {
    /// Bytes of chunk data a receiver grants at first and keeps granting.
    public static let window: UInt64 = 1 << 20
    /// Chunk bytes a relay holds per transfer for a payload too big for its cache.
    public static let relayWindow: UInt64 = 4 << 20

    public typealias Send = (_ destination: NodeID, _ stream: UInt32, _ message: any WireMessage) -> Void

    /// Payload figures per child, for the run report.
    public struct Counters: Sendable, Hashable {
        public var transfers: UInt64 = 0
        public var fromCache: UInt64 = 0
        public init() {}
    }

    private let node: NodeID
    private var parent: NodeID?
    private let send: Send
    private var cache: PayloadCache<[PayloadChunk]>
    private var sources: [Digest: PayloadSource] = [:]
    private var inbound: [Digest: Inbound] = [:]
    private var inboundByStream: [UInt32: Digest] = [:]
    private var outbound: [OutKey: Outbound] = [:]
    private var nextStream: UInt32 = 1
    public private(set) var counters: [NodeID: Counters] = [:]
    /// Payloads kept on disk between runs (`--target-cache`), if enabled.
    public var diskCache: TargetCache?

    public init(node: NodeID, parent: NodeID?, cacheCapacity: Int, send: @escaping Send) {
        self.node = node
        self.parent = parent
        self.cache = PayloadCache(capacity: cacheCapacity)
        self.send = send
    }

    /// Set once the node knows its parent (after the welcome).
    public func setParent(_ parent: NodeID?) {
        self.parent = parent
    }

    /// Registers a payload this node can read itself.
    public func addSource(_ digest: Digest, _ source: PayloadSource) {
        sources[digest] = source
    }

    // MARK: Local consumers

    /// Delivers the payload to `consumer`: from the cache or a source at once,
    /// else as it arrives from the parent.
    public func fetch(_ digest: Digest, consumer: any PayloadConsumer) {
        if let chunks = cachedChunks(digest) {
            deliverAll(chunks, digest: digest, to: consumer)
            return
        }
        if let source = sources[digest] {
            do {
                var offset: UInt64 = 0
                let hasher = SHA256Stream()
                repeat {
                    let length = Int(min(UInt64(PayloadChunk.maxSize), source.size - offset))
                    let bytes = try source.read(offset, length)
                    hasher.update(bytes)
                    consumer.payload(digest, bytes: bytes, offset: offset, total: source.size)
                    offset += UInt64(length)
                } while offset < source.size
                consumer.payloadFinished(digest, error: hasher.finalize() == digest ? nil : "the source changed while it was read")
            } catch {
                consumer.payloadFinished(digest, error: "cannot read the payload: \(error)")
            }
            return
        }
        subscribe(.local(consumer), to: digest)
    }

    // MARK: Requests from children

    public func handleRequest(from child: NodeID, stream: UInt32, _ request: PayloadRequest) {
        guard let digest = Digest(bytes: request.digest) else { return }
        counters[child, default: Counters()].transfers += 1
        let key = OutKey(child: child, stream: stream)
        if let chunks = cachedChunks(digest) {
            counters[child, default: Counters()].fromCache += 1
            outbound[key] = Outbound(digest: digest, credit: request.window, origin: .cached(chunks))
            pump(key)
        } else if let source = sources[digest] {
            outbound[key] = Outbound(digest: digest, credit: request.window, origin: .source(source))
            pump(key)
        } else if parent != nil {
            outbound[key] = Outbound(digest: digest, credit: request.window, origin: .inbound)
            subscribe(.child(key), to: digest)
        } else {
            send(child, stream, PayloadError(digest: request.digest, message: "no node on the way holds payload \(digest.hex)"))
        }
    }

    public func handleCredit(from child: NodeID, stream: UInt32, _ credit: PayloadCredit) {
        let key = OutKey(child: child, stream: stream)
        guard outbound[key] != nil else { return }
        outbound[key]!.credit += credit.bytes
        pump(key)
    }

    /// A child's link is gone: stop serving it.
    public func childGone(_ child: NodeID) {
        for key in outbound.keys where key.child == child {
            outbound[key] = nil
            for digest in inbound.keys { inbound[digest]?.subscribers.removeAll { $0.key == key } }
        }
        for digest in Array(inbound.keys) { trim(digest) }
    }

    // MARK: From the parent

    public func handleChunk(stream: UInt32, _ chunk: PayloadChunk) {
        guard let digest = inboundByStream[stream], var transfer = inbound[digest] else { return }
        guard chunk.offset == transfer.received, chunk.digest == digest.bytes else {
            return fail(digest, "chunk out of order for payload \(digest.hex)")
        }
        let bytes: [UInt8]
        do {
            bytes = chunk.encoding == .lz4 ? try LZ4.decompress(chunk.data, originalSize: Int(chunk.originalLength)) : chunk.data
        } catch {
            return fail(digest, "corrupt chunk of payload \(digest.hex)")
        }
        if transfer.received == 0 {
            transfer.total = chunk.totalSize
            transfer.retain = cache.admits(size: Int(clamping: chunk.totalSize))
        }
        guard chunk.totalSize == transfer.total else { return fail(digest, "payload \(digest.hex) changed size mid-transfer") }
        transfer.received += UInt64(chunk.originalLength)
        transfer.hasher.update(bytes)
        transfer.chunks.append(chunk)
        transfer.wireBytes += UInt64(chunk.data.count)
        inbound[digest] = transfer
        for subscriber in transfer.subscribers {
            if case .local(let consumer) = subscriber {
                consumer.payload(digest, bytes: bytes, offset: chunk.offset, total: chunk.totalSize)
            }
        }
        for subscriber in transfer.subscribers {
            if case .child(let key) = subscriber { pump(key) }
        }
        if transfer.received >= transfer.total {
            complete(digest)
        } else {
            trim(digest)
        }
    }

    public func handleError(stream: UInt32, _ error: PayloadError) {
        guard let digest = inboundByStream[stream] else { return }
        fail(digest, error.message)
    }

    /// The parent is gone: every transfer from it fails.
    public func parentGone(_ reason: String) {
        for digest in Array(inbound.keys) { fail(digest, reason) }
    }

    /// From the memory cache, else from the disk cache (then kept in memory).
    private func cachedChunks(_ digest: Digest) -> [PayloadChunk]? {
        if let chunks = cache.value(for: digest) { return chunks }
        guard let bytes = diskCache?.load(digest) else { return nil }
        var chunks: [PayloadChunk] = []
        var offset = 0
        repeat {
            let end = min(offset + PayloadChunk.maxSize, bytes.count)
            chunks.append(PayloadChunk.make(digest: digest, total: UInt64(bytes.count), offset: UInt64(offset),
                                            bytes: Array(bytes[offset ..< end])))
            offset = end
        } while offset < bytes.count
        cache.insert(chunks, size: chunks.reduce(0) { $0 + $1.data.count }, for: digest)
        return chunks
    }

    // MARK: Internals

    private struct OutKey: Hashable {
        var child: NodeID
        var stream: UInt32
    }

    private enum Origin {
        case cached([PayloadChunk])
        case source(PayloadSource)
        case inbound
    }

    private struct Outbound {
        var digest: Digest
        var credit: UInt64
        var origin: Origin
        /// Next chunk index (cached, inbound) or byte offset (source).
        var position: UInt64 = 0
        /// A source of zero bytes still sends one empty chunk.
        var sentEmpty = false
    }

    private enum Subscriber {
        case local(any PayloadConsumer)
        case child(OutKey)

        var key: OutKey? {
            if case .child(let key) = self { return key }
            return nil
        }
    }

    private struct Inbound {
        var stream: UInt32
        var total: UInt64 = .max
        var received: UInt64 = 0
        var hasher = SHA256Stream()
        /// Chunks from index `base` on (earlier ones were passed on and dropped).
        var chunks: [PayloadChunk] = []
        var base = 0
        var wireBytes: UInt64 = 0
        var subscribers: [Subscriber] = []
        /// Keep every chunk for the cache (the payload fits it).
        var retain = true
        /// Chunk bytes granted to the parent so far.
        var granted: UInt64
        var complete = false
        /// Subscribers that came after chunks were already dropped; served
        /// once this transfer ends.
        var late: [Subscriber] = []
    }

    private func subscribe(_ subscriber: Subscriber, to digest: Digest) {
        if var transfer = inbound[digest] {
            guard transfer.base == 0, !transfer.complete else {
                // Chunks were already passed on and dropped (a payload too big
                // to keep): serve this one when the running transfer ends.
                transfer.late.append(subscriber)
                inbound[digest] = transfer
                return
            }
            transfer.subscribers.append(subscriber)
            inbound[digest] = transfer
            switch subscriber {
            case .local(let consumer):
                // Catch up on what already arrived.
                for chunk in transfer.chunks {
                    guard let bytes = try? chunk.bytes() else { continue }
                    consumer.payload(digest, bytes: bytes, offset: chunk.offset, total: chunk.totalSize)
                }
            case .child(let key):
                pump(key)
            }
            return
        }
        guard let parent else {
            finish(subscriber, digest: digest, error: "payload \(digest.hex) is not available here")
            return
        }
        let stream = nextStream
        nextStream &+= 1
        var transfer = Inbound(stream: stream, granted: Self.window)
        transfer.subscribers = [subscriber]
        inbound[digest] = transfer
        inboundByStream[stream] = digest
        send(parent, stream, PayloadRequest(digest: digest.bytes, window: Self.window))
    }

    /// Sends what credit and availability allow to one child. The transfer's
    /// state is stored before each send, so a send that reenters the service
    /// (a credit arriving meanwhile) sees it current.
    private func pump(_ key: OutKey) {
        while var out = outbound[key], out.credit > 0 {
            let chunk: PayloadChunk
            switch out.origin {
            case .cached(let chunks):
                guard out.position < UInt64(chunks.count) else { return done(key) }
                chunk = chunks[Int(out.position)]
                out.position += 1
            case .source(let source):
                guard out.position < source.size || (source.size == 0 && !out.sentEmpty) else { return done(key) }
                let length = Int(min(UInt64(PayloadChunk.maxSize), source.size - out.position))
                do {
                    chunk = try PayloadChunk.make(digest: out.digest, total: source.size, offset: out.position,
                                                  bytes: source.read(out.position, length))
                } catch {
                    outbound[key] = nil
                    send(key.child, key.stream, PayloadError(digest: out.digest.bytes, message: "cannot read the payload: \(error)"))
                    return
                }
                out.position += UInt64(length)
                out.sentEmpty = true
            case .inbound:
                guard let transfer = inbound[out.digest] else { return }
                let index = Int(out.position) - transfer.base
                guard index >= 0 else { return }
                guard index < transfer.chunks.count else {
                    if transfer.complete { done(key) }
                    return
                }
                chunk = transfer.chunks[index]
                out.position += 1
            }
            out.credit = out.credit > UInt64(chunk.data.count) ? out.credit - UInt64(chunk.data.count) : 0
            outbound[key] = out
            let last = chunk.offset + UInt64(chunk.originalLength) >= chunk.totalSize
            send(key.child, key.stream, chunk)
            if last { return done(key) }
            if case .inbound = out.origin { trim(out.digest) }
        }
    }

    private func done(_ key: OutKey) {
        guard let out = outbound.removeValue(forKey: key) else { return }
        if case .inbound = out.origin {
            inbound[out.digest]?.subscribers.removeAll { $0.key == key }
            trim(out.digest)
            retireIfDone(out.digest)
        }
    }

    /// Drops chunks every child has taken (unless kept for the cache) and
    /// grants the parent room for more.
    private func trim(_ digest: Digest) {
        guard var transfer = inbound[digest], let parent else { return }
        if !transfer.retain {
            let positions = transfer.subscribers.compactMap { $0.key }.compactMap { outbound[$0]?.position }
            let slowest = positions.min().map(Int.init) ?? (transfer.base + transfer.chunks.count)
            let drop = max(0, min(slowest - transfer.base, transfer.chunks.count))
            if drop > 0 {
                transfer.chunks.removeFirst(drop)
                transfer.base += drop
            }
        }
        if !transfer.complete {
            let held = transfer.chunks.reduce(UInt64(0)) { $0 + UInt64($1.data.count) }
            let limit = transfer.retain ? UInt64.max : Self.relayWindow
            let outstanding = transfer.granted > transfer.wireBytes ? transfer.granted - transfer.wireBytes : 0
            if held + outstanding < limit, outstanding < Self.window / 2 {
                let grant = transfer.retain ? Self.window : min(Self.window, limit - held - outstanding)
                if grant > 0 {
                    transfer.granted += grant
                    send(parent, transfer.stream, PayloadCredit(bytes: grant))
                }
            }
        }
        inbound[digest] = transfer
    }

    private func complete(_ digest: Digest) {
        guard var transfer = inbound[digest] else { return }
        // A payload bigger than the cache cannot be kept; note it before the
        // digest check so later chunks of large payloads were trimmed already.
        let verified = transfer.hasher.finalize() == digest
        guard verified else {
            return fail(digest, "payload \(digest.hex) arrived corrupted (SHA-256 mismatch); discarded")
        }
        transfer.complete = true
        inbound[digest] = transfer
        if transfer.retain && transfer.base == 0 {
            cache.insert(transfer.chunks, size: Int(transfer.wireBytes), for: digest)
            if let diskCache, let bytes = try? transfer.chunks.flatMap({ try $0.bytes() }) {
                diskCache.store(digest, bytes)
            }
        }
        for subscriber in transfer.subscribers {
            switch subscriber {
            case .local(let consumer): consumer.payloadFinished(digest, error: nil)
            case .child(let key): pump(key)
            }
        }
        inbound[digest]?.subscribers.removeAll { if case .local = $0 { return true } else { return false } }
        retireIfDone(digest)
    }

    /// Forgets a complete transfer once no child still reads from it; late
    /// subscribers then start afresh (from the cache if it was kept).
    private func retireIfDone(_ digest: Digest) {
        guard let transfer = inbound[digest], transfer.complete,
              !transfer.subscribers.contains(where: { $0.key != nil }) else { return }
        inbound[digest] = nil
        inboundByStream[transfer.stream] = nil
        for late in transfer.late {
            switch late {
            case .local(let consumer): fetch(digest, consumer: consumer)
            case .child(let key):
                if outbound[key] != nil {
                    if let chunks = cache.value(for: digest) {
                        outbound[key]!.origin = .cached(chunks)
                        pump(key)
                    } else {
                        subscribe(late, to: digest)
                    }
                }
            }
        }
    }

    private func fail(_ digest: Digest, _ message: String) {
        guard let transfer = inbound.removeValue(forKey: digest) else { return }
        inboundByStream[transfer.stream] = nil
        for subscriber in transfer.subscribers + transfer.late {
            finish(subscriber, digest: digest, error: message)
        }
    }

    private func finish(_ subscriber: Subscriber, digest: Digest, error: String) {
        switch subscriber {
        case .local(let consumer):
            consumer.payloadFinished(digest, error: error)
        case .child(let key):
            outbound[key] = nil
            send(key.child, key.stream, PayloadError(digest: digest.bytes, message: error))
        }
    }

    private func deliverAll(_ chunks: [PayloadChunk], digest: Digest, to consumer: any PayloadConsumer) {
        for chunk in chunks {
            guard let bytes = try? chunk.bytes() else {
                return consumer.payloadFinished(digest, error: "cached payload \(digest.hex) is corrupt")
            }
            consumer.payload(digest, bytes: bytes, offset: chunk.offset, total: chunk.totalSize)
        }
        consumer.payloadFinished(digest, error: nil)
    }
}

extension PayloadChunk {
    /// A chunk of `bytes`, LZ4-compressed when that makes it smaller.
    public static func make(digest: Digest, total: UInt64, offset: UInt64, bytes: [UInt8]) -> PayloadChunk {
        if let compressed = LZ4.compress(bytes) {
            return PayloadChunk(digest: digest.bytes, totalSize: total, offset: offset, encoding: .lz4,
                                originalLength: UInt32(bytes.count), data: compressed)
        }
        return PayloadChunk(digest: digest.bytes, totalSize: total, offset: offset, encoding: .raw,
                            originalLength: UInt32(bytes.count), data: bytes)
    }

    /// The chunk's bytes, decompressed.
    public func bytes() throws -> [UInt8] {
        encoding == .lz4 ? try LZ4.decompress(data, originalSize: Int(originalLength)) : data
    }
}
