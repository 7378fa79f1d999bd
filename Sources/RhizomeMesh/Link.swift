import RhizomeIO
import RhizomeWire

/// Hears whole messages arriving on a link. Called on the loop thread.
public protocol LinkDelegate: AnyObject {
    func link(_ link: Link, didReceive envelope: Envelope)
    /// Peer diagnostics (an agent's stderr), line by line.
    func link(_ link: Link, didReceiveDiagnostics text: String)
    /// The link's queue fell below its low-water mark (or emptied): senders
    /// that paused for it may go on.
    func linkDidDrain(_ link: Link)
    /// The link is gone; `reason` says why (nil: the peer closed it cleanly).
    func link(_ link: Link, didCloseWith reason: String?)
}

extension LinkDelegate {
    public func link(_ link: Link, didReceiveDiagnostics text: String) {}
    public func linkDidDrain(_ link: Link) {}
}

/// A framed, message-level connection to a neighbour node.
///
/// Outgoing messages are cut into frames and queued in two classes: control
/// frames always go out before bulk frames, so a ping never waits behind a
/// file transfer for more than one frame. The class follows from the message
/// type alone (`Priority(of:)`), at every node, so messages that must stay in
/// order (a task's output and its result) always share one queue.
public final class Link: TransportDelegate {
    public enum Priority: Sendable {
        case control, bulk

        /// The queue a message type travels in, at its origin and at every relay.
        ///
        /// A task's output and its result are bulk, so the result never
        /// overtakes output queued before it. A `ChildDown` is bulk too: it
        /// follows what the lost node sent before it went, so a task that
        /// finished is reported as finished. Logs are bulk because they can
        /// be many. Everything else is small and goes first.
        public init(of type: MessageType?) {
            switch type {
            case .taskOutput, .taskResult, .payloadChunk, .childDown, .log: self = .bulk
            default: self = .control
            }
        }
    }

    /// The neighbour's node id (known after the handshake).
    public var peer: NodeID
    /// This end's node id.
    public var local: NodeID
    public let transport: any Transport
    public weak var delegate: (any LinkDelegate)?
    public private(set) var statistics = LinkStatistics()
    public private(set) var isClosed = false
    /// When bytes last arrived (`Clock.seconds()`), for telling a silent peer.
    public private(set) var lastHeard = Clock.seconds()

    private var decoder = FrameDecoder()
    private var assembler = MessageAssembler()
    private var control: [[UInt8]] = []
    private var bulk: [[UInt8]] = []
    /// Bytes in `control` and `bulk` together.
    private var queuedBytes = 0
    private var diagnostics: [UInt8] = []
    /// Bytes handed to the transport at most at a time, so that queued control
    /// frames can overtake bulk data that has not been handed over yet.
    private let transportHighWater = 64 << 10
    /// A link whose peer sent nothing for this many keepalive intervals is
    /// dead, at every node: pings go every interval in both directions, so
    /// silence means the peer, its host or the path to it is gone.
    public static let silentIntervalsBeforeDead = 3.0
    /// Below this many pending bytes the delegate hears `linkDidDrain`.
    public static let lowWater = 1 << 20

    public init(local: NodeID, peer: NodeID, transport: any Transport) {
        self.local = local
        self.peer = peer
        self.transport = transport
    }

    public func start(on loop: EventLoop, delegate: any LinkDelegate) {
        self.delegate = delegate
        transport.start(on: loop, delegate: self)
    }

    /// Seconds since bytes last arrived.
    public var silence: Double { Clock.seconds() - lastHeard }

    /// Starts the silence count afresh (after this end chose not to read for a while).
    public func heard() {
        lastHeard = Clock.seconds()
    }

    /// Feeds bytes that arrived before the link started (read during the handshake).
    public func inject(_ bytes: [UInt8]) {
        statistics.bytesReceived += UInt64(bytes.count)
        decode(bytes)
    }

    /// Sees every frame this link sends, as bytes (frame tracing for debugging
    /// and for tests that check what crosses a link).
    public var frameObserver: (([UInt8]) -> Void)?

    /// Sends a message, in the queue its type belongs to (`Priority(of:)`).
    public func send(_ envelope: Envelope) {
        guard !isClosed else { return }
        let frames = envelope.frames()
        statistics.framesSent += UInt64(frames.count)
        let isPayload = envelope.type == MessageType.payloadChunk.rawValue
        let priority = Priority(of: envelope.messageType)
        for frame in frames {
            let bytes = frame.bytes
            frameObserver?(bytes)
            statistics.bytesSent += UInt64(bytes.count)
            if isPayload { statistics.payloadBytesSent += UInt64(bytes.count) }
            queuedBytes += bytes.count
            if priority == .control { control.append(bytes) } else { bulk.append(bytes) }
        }
        pump()
    }

    /// Bytes waiting here or in the transport.
    public var pendingBytes: Int {
        transport.pendingBytes + queuedBytes
    }

    public func close(reason: String? = nil) {
        guard !isClosed else { return }
        closeReason = reason
        transport.close()
    }

    private var closeReason: String?

    private func pump() {
        while transport.pendingBytes < transportHighWater {
            let next: [UInt8]
            if !control.isEmpty {
                next = control.removeFirst()
            } else if !bulk.isEmpty {
                next = bulk.removeFirst()
            } else {
                break
            }
            queuedBytes -= next.count
            transport.send(next)
        }
    }

    private func decode(_ bytes: [UInt8]) {
        decoder.append(bytes)
        do {
            while let frame = try decoder.nextFrame() {
                statistics.framesReceived += 1
                if frame.header.type == MessageType.payloadChunk.rawValue {
                    statistics.payloadBytesReceived += UInt64(FrameLimits.headerSize + frame.payload.count)
                }
                if let envelope = try assembler.push(frame) {
                    delegate?.link(self, didReceive: envelope)
                    if isClosed { return }
                }
            }
        } catch {
            let message = "protocol error from \(peer): \(error)"
            send(Envelope(ProtocolErrorMessage(message: message), destination: peer, source: local))
            close(reason: message)
        }
    }

    // MARK: TransportDelegate

    public func transport(_ transport: any Transport, didRead bytes: [UInt8]) {
        lastHeard = Clock.seconds()
        statistics.bytesReceived += UInt64(bytes.count)
        decode(bytes)
    }

    public func transport(_ transport: any Transport, didReadDiagnostics bytes: [UInt8]) {
        diagnostics.append(contentsOf: bytes)
        while let newline = diagnostics.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: diagnostics[..<newline], as: UTF8.self)
            diagnostics.removeSubrange(...newline)
            delegate?.link(self, didReceiveDiagnostics: line)
        }
        if diagnostics.count > 64 << 10 {
            delegate?.link(self, didReceiveDiagnostics: String(decoding: diagnostics, as: UTF8.self))
            diagnostics.removeAll()
        }
    }

    public func transportDidDrain(_ transport: any Transport) {
        pump()
        if pendingBytes < Self.lowWater {
            delegate?.linkDidDrain(self)
        }
    }

    public func transport(_ transport: any Transport, didCloseWith error: (any Error)?) {
        guard !isClosed else { return }
        isClosed = true
        control.removeAll()
        bulk.removeAll()
        queuedBytes = 0
        var reason = closeReason ?? error.map { "\($0)" }
        if reason == nil {
            do { try decoder.finish() } catch { reason = "link closed in the middle of a frame: \(error)" }
        }
        if !diagnostics.isEmpty {
            delegate?.link(self, didReceiveDiagnostics: String(decoding: diagnostics, as: UTF8.self))
            diagnostics.removeAll()
        }
        delegate?.link(self, didCloseWith: reason)
    }
}

@available(*, unavailable)
extension Link: Sendable {}
