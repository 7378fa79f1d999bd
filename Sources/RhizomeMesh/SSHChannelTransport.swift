import RhizomeIO
import RhizomeSSH

/// A transport over the exec channel an agent runs on, in non-blocking mode.
///
/// libssh2 reads whole packets into its own buffers, so a readable socket is
/// not the only sign of data: after every event both channel streams are read
/// until libssh2 says EAGAIN, and pending output is retried.
public final class SSHChannelTransport: Transport {
    public let channel: SSHChannel
    private var loop: EventLoop?
    private weak var delegate: (any TransportDelegate)?
    private var token: EventLoop.Token?
    private var keepaliveTimer: EventLoop.Token?
    private var queue = OutputQueue()
    private var reading = true
    private var closed = false
    private let keepaliveInterval: Int

    /// - Parameter keepaliveInterval: seconds between SSH keepalives, 0 for none.
    public init(channel: SSHChannel, keepaliveInterval: Int = 15) {
        self.channel = channel
        self.keepaliveInterval = keepaliveInterval
    }

    public var pendingBytes: Int { queue.count }

    public func start(on loop: EventLoop, delegate: any TransportDelegate) {
        self.loop = loop
        self.delegate = delegate
        channel.session.isBlocking = false
        token = loop.register(channel.session.socket, events: .readable) { [weak self] _ in self?.service() }
        if keepaliveInterval > 0 {
            channel.session.configureKeepalive(interval: keepaliveInterval)
            scheduleKeepalive(after: Double(keepaliveInterval))
        }
        // Data may already sit in libssh2's buffers from the blocking phase.
        loop.schedule(after: 0) { [weak self] in self?.service() }
    }

    public func send(_ bytes: [UInt8]) {
        guard !closed else { return }
        queue.append(bytes)
        // Write now, but read only from the loop: a read here would deliver
        // messages to the delegate while it is still inside its own send.
        flushWrites()
        scheduleService()
    }

    private var serviceScheduled = false

    private func scheduleService() {
        guard !serviceScheduled else { return }
        serviceScheduled = true
        loop?.schedule(after: 0) { [weak self] in
            self?.serviceScheduled = false
            self?.service()
        }
    }

    private func flushWrites() {
        do {
            let hadOutput = !queue.isEmpty
            try queue.drain { try channel.write($0) }
            if hadOutput && queue.isEmpty { delegate?.transportDidDrain(self) }
        } catch {
            finish(error)
        }
    }

    public func setReading(_ reading: Bool) {
        self.reading = reading
        if reading { service() }
    }

    public func close() {
        finish(nil)
    }

    private func scheduleKeepalive(after seconds: Double) {
        keepaliveTimer = loop?.schedule(after: seconds) { [weak self] in
            guard let self, !self.closed else { return }
            let next = self.channel.session.sendKeepalive()
            self.scheduleKeepalive(after: Double(max(1, next)))
            self.service()
        }
    }

    private func service() {
        guard !closed else { return }
        do {
            let hadOutput = !queue.isEmpty
            try queue.drain { try channel.write($0) }
            if hadOutput && queue.isEmpty { delegate?.transportDidDrain(self) }
            while case .data(let bytes) = try channel.read(max: 64 << 10, stderr: true) {
                delegate?.transport(self, didReadDiagnostics: bytes)
            }
            if reading {
                readLoop: while !closed {
                    switch try channel.read(max: 256 << 10) {
                    case .data(let bytes): delegate?.transport(self, didRead: bytes)
                    case .wouldBlock: break readLoop
                    case .eof: return finish(nil)
                    }
                }
            }
        } catch {
            return finish(error)
        }
        guard !closed, let token else { return }
        var events = channel.session.blockDirections
        if reading { events.insert(.readable) }
        if !queue.isEmpty { events.insert(.writable) }
        loop?.setEvents(token, events)
    }

    private func finish(_ error: (any Error)?) {
        guard !closed else { return }
        closed = true
        if let token { loop?.deregister(token) }
        if let keepaliveTimer { loop?.cancel(keepaliveTimer) }
        channel.session.isBlocking = false
        channel.close()
        delegate?.transport(self, didCloseWith: error)
    }
}
