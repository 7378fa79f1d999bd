#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeSSH

/// Tunnel mode: forwarded connections through a bastion that runs no agent,
/// the way ProxyJump works. Each tunnel is a direct-tcpip channel on the
/// bastion's session, carried to a local socketpair whose other end a new SSH
/// session uses as its socket.
///
/// The bastion's session is owned by a thread of its own (libssh2 allows one
/// thread per session), which runs a small event loop pumping every channel.
public final class TunnelHost: @unchecked Sendable {
    public let name: String
    /// How long the session to the bastion took to open.
    public let timings: LinkTimings
    private let loop: EventLoop
    private let state: State
    /// Fulfilled by the tunnel thread once every channel is closed.
    private let finished = Rendezvous<Void>()

    /// Takes over an authenticated session and starts serving tunnels through it.
    public init(session: Transferable<SSHSession>, name: String, timings: LinkTimings = LinkTimings()) throws {
        self.name = name
        self.timings = timings
        let loop = try EventLoop()
        self.loop = loop
        let state = State(session: session.value, loop: loop, name: name)
        self.state = state
        let finished = finished
        OSThread.detach(name: "rhizome-tunnel") {
            state.start()
            loop.run()
            state.closeAll()
            finished.fulfil(())
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// `.timeout` when no answer came in time, `.closed` when the session to the
        /// bastion is gone, `.channel` when the bastion would not or could not connect.
        public var code: SSHError.Code = .channel
    }

    /// Opens a forwarded connection to `host:port` from the bastion; returns
    /// the local socket to run SSH over (the caller owns it). Blocks.
    public func open(host: String, port: Int, timeout: Double) throws -> CInt {
        let waiter = Rendezvous<Result<CInt, Failure>>()
        let state = state
        loop.execute { state.open(host: host, port: port, waiter: waiter) }
        guard let result = waiter.wait(timeout: timeout) else {
            throw Failure(description: "no forwarded connection to \(host):\(port) through \(name) within \(Int(timeout)) s",
                          code: .timeout)
        }
        return try result.get()
    }

    /// `open`, for a link about to be set up: failures are connect failures of `target`
    /// (code `.closed` when it is the bastion's own session that is gone).
    public func socket(for target: LinkTarget) throws(LinkSetupError) -> CInt {
        do {
            return try open(host: target.address, port: target.port, timeout: target.connectTimeout)
        } catch let failure as Failure {
            throw LinkSetupError(phase: .connect, target: target.name, message: failure.description, code: failure.code)
        } catch {
            throw LinkSetupError(phase: .connect, target: target.name, message: "\(error)", code: .connect)
        }
    }

    /// Closes every tunnel and waits (at most `timeout` seconds) for the
    /// tunnel thread to finish: closing a channel still encrypts packets, and
    /// a process that exits meanwhile tears libcrypto down under that thread.
    public func close(timeout: Double = 5) {
        loop.stop()
        // Fulfilled again, so that a second close returns at once.
        if finished.wait(timeout: timeout) != nil { finished.fulfil(()) }
    }

    /// Everything below runs on the tunnel thread only.
    private final class State: @unchecked Sendable {
        let session: SSHSession
        let loop: EventLoop
        let name: String
        var token: EventLoop.Token?
        var pending: [(host: String, port: Int, waiter: Rendezvous<Result<CInt, Failure>>)] = []
        /// libssh2 sends one packet at a time per session: after an operation
        /// left a packet half-sent (EAGAIN while blocked outbound), only that
        /// operation may run until it completes, or libssh2 fails the other
        /// with LIBSSH2_ERROR_BAD_USE.
        enum Owner { case none, open, tunnel(ObjectIdentifier) }
        var owner = Owner.none
        var tunnels: [Tunnel] = []

        final class Tunnel {
            let channel: SSHChannel
            let socket: CInt
            var token: EventLoop.Token?
            var toSocket: [UInt8] = []
            var toChannel: [UInt8] = []
            var channelEOF = false
            var socketEOF = false
            var eofSent = false
            init(channel: SSHChannel, socket: CInt) {
                self.channel = channel
                self.socket = socket
            }
        }

        init(session: SSHSession, loop: EventLoop, name: String) {
            self.session = session
            self.loop = loop
            self.name = name
        }

        func start() {
            session.isBlocking = false
            session.configureKeepalive(interval: 15)
            token = loop.register(session.socket, events: .readable) { [unowned self] _ in self.service() }
            keepalive()
        }

        func keepalive() {
            loop.schedule(after: 15) { [weak self] in
                guard let self else { return }
                if case .none = self.owner { _ = self.session.sendKeepalive() }
                self.service()
                self.keepalive()
            }
        }

        func open(host: String, port: Int, waiter: Rendezvous<Result<CInt, Failure>>) {
            pending.append((host, port, waiter))
            service()
        }

        func closeAll() {
            for tunnel in tunnels {
                tunnel.channel.close()
                Glibc.close(tunnel.socket)
            }
            tunnels.removeAll()
            for request in pending {
                request.waiter.fulfil(.failure(Failure(description: "the tunnel through \(name) closed", code: .closed)))
            }
            pending.removeAll()
        }

        /// One pass over everything: opens in progress, then each tunnel both ways.
        func service() {
            // libssh2 keeps one channel-open in progress per session: open the
            // tunnels one after another, never interleaved.
            while let request = pending.first {
                if case .tunnel = owner { break }
                do {
                    guard let channel = try session.openDirectTCPIP(host: request.host, port: request.port) else {
                        owner = session.blockDirections.contains(.writable) ? .open : .none
                        break
                    }
                    owner = .none
                    pending.removeFirst()
                    var pair: [CInt] = [-1, -1]
                    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                        channel.close()
                        request.waiter.fulfil(.failure(Failure(description: "socketpair: \(String(cString: strerror(errno)))")))
                        continue
                    }
                    try? FileDescriptor(rawValue: pair[0]).setNonBlocking()
                    let tunnel = Tunnel(channel: channel, socket: pair[0])
                    tunnel.token = loop.register(pair[0], events: .readable) { [unowned self] _ in self.service() }
                    tunnels.append(tunnel)
                    request.waiter.fulfil(.success(pair[1]))
                } catch {
                    owner = .none
                    pending.removeFirst()
                    request.waiter.fulfil(.failure(Failure(description: "\(error)", code: error.code)))
                }
            }
            // The tunnel that holds a half-sent packet goes first.
            if case .tunnel(let id) = owner, let first = tunnels.firstIndex(where: { ObjectIdentifier($0) == id }) {
                tunnels.swapAt(0, first)
            }
            for tunnel in tunnels { pump(tunnel) }
            tunnels.removeAll { tunnel in
                guard tunnel.channelEOF && tunnel.socketEOF && tunnel.toSocket.isEmpty && tunnel.toChannel.isEmpty else { return false }
                if let token = tunnel.token { loop.deregister(token) }
                tunnel.channel.close()
                Glibc.close(tunnel.socket)
                return true
            }
            var events = session.blockDirections
            events.insert(.readable)
            if !pending.isEmpty || tunnels.contains(where: { !$0.toChannel.isEmpty }) { events.insert(.writable) }
            if let token { loop.setEvents(token, events) }
            for tunnel in tunnels {
                guard let token = tunnel.token else { continue }
                var socketEvents: PollEvents = []
                if !tunnel.socketEOF && tunnel.toChannel.count < 1 << 20 { socketEvents.insert(.readable) }
                if !tunnel.toSocket.isEmpty { socketEvents.insert(.writable) }
                loop.setEvents(token, socketEvents)
            }
        }

        private func pump(_ tunnel: Tunnel) {
            // Bastion → local socket.
            while !tunnel.channelEOF && tunnel.toSocket.count < 1 << 20 {
                guard let result = try? tunnel.channel.read(max: 256 << 10) else {
                    tunnel.channelEOF = true
                    break
                }
                switch result {
                case .data(let bytes): tunnel.toSocket += bytes
                case .wouldBlock: break
                case .eof: tunnel.channelEOF = true
                }
                if case .wouldBlock = result { break }
            }
            if !tunnel.toSocket.isEmpty {
                let n = tunnel.toSocket.withUnsafeBytes { Glibc.write(tunnel.socket, $0.baseAddress, $0.count) }
                if n > 0 {
                    tunnel.toSocket.removeFirst(n)
                } else if n < 0 && errno != EAGAIN && errno != EINTR {
                    tunnel.toSocket.removeAll()
                    tunnel.socketEOF = true
                    tunnel.channelEOF = true
                }
            }
            if tunnel.channelEOF && tunnel.toSocket.isEmpty {
                shutdown(tunnel.socket, Int32(SHUT_WR))
            }
            // Local socket → bastion.
            if !tunnel.socketEOF && tunnel.toChannel.count < 1 << 20 {
                var buffer = [UInt8](repeating: 0, count: 256 << 10)
                let n = buffer.withUnsafeMutableBytes { Glibc.read(tunnel.socket, $0.baseAddress, $0.count) }
                if n > 0 {
                    tunnel.toChannel += buffer[0 ..< n]
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    tunnel.socketEOF = true
                }
            }
            while !tunnel.toChannel.isEmpty {
                switch owner {
                case .open: return
                case .tunnel(let id) where id != ObjectIdentifier(tunnel): return
                default: break
                }
                guard let n = try? tunnel.channel.write(tunnel.toChannel[...]) else {
                    owner = .none
                    tunnel.toChannel.removeAll()
                    tunnel.channelEOF = true
                    break
                }
                if n == 0 {
                    owner = session.blockDirections.contains(.writable) ? .tunnel(ObjectIdentifier(tunnel)) : .none
                    break
                }
                owner = .none
                tunnel.toChannel.removeFirst(n)
            }
            if tunnel.socketEOF && tunnel.toChannel.isEmpty && !tunnel.eofSent {
                tunnel.eofSent = true
                tunnel.channel.sendEOF()
            }
        }
    }
}
