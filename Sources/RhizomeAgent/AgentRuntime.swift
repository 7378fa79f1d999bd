#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeMesh
import RhizomeModules
import RhizomeSSH
import RhizomeWire

/// One agent: its parent link, the tasks it runs, and the children it relays to.
///
/// Single-threaded: everything happens on the event loop. Child spawns block in
/// libssh2 on threads of their own and come back through `loop.execute`.
final class AgentRuntime: LinkDelegate {
    let loop: EventLoop
    private let parent: Link
    private let environment: [String]
    private(set) var node = NodeID(UInt32.max)
    private var welcome: Welcome?
    private var tasks: [UInt32: TaskHandle] = [:]
    private var lastHeardFromParent = Clock.seconds()

    // Relaying
    private var children: [NodeID: Child] = [:]
    private var routes = RoutingTable()
    private var pendingSigns: [UInt32: Rendezvous<SignResponse>] = [:]
    private var nextSignStream: UInt32 = 1
    private let selfImage = SelfImage()
    private var exiting = false
    private(set) var payloads: PayloadService!
    private lazy var fetchAdapter = PayloadFetchAdapter(runtime: self)

    /// A direct child: its link and what the run report wants to know.
    private struct Child {
        var name: String
        var link: Link
        var bootstrapBytes: UInt64
    }

    /// Output buffered towards the parent beyond which tasks pause their pipes.
    static let congestionThreshold = 4 << 20

    /// Where the agent started (and may write and execute), for external modules.
    private let workDirectory: String

    /// The on-disk cache of this host (`--target-cache`), if any.
    private let targetCache: TargetCache?

    init(environment: [String], workDirectory: String, targetCache: TargetCache? = nil) throws {
        self.targetCache = targetCache
        self.loop = try EventLoop()
        self.environment = environment
        self.workDirectory = workDirectory
        self.parent = Link(local: node, peer: .controller,
                           transport: FileDescriptorTransport(input: .standardInput, output: .standardOutput))
    }

    private func makePayloadService(cacheBytes: UInt64) -> PayloadService {
        PayloadService(node: node, parent: parent.peer, cacheCapacity: Int(clamping: cacheBytes)) { [unowned self] destination, stream, message in
            let envelope = Envelope(type: type(of: message).messageType.rawValue, destination: destination, source: self.node,
                                    stream: stream, body: message.encodedBody)
            if destination == self.parent.peer {
                self.parent.send(envelope)
            } else {
                self.children[destination]?.link.send(envelope)
            }
        }
    }

    func run() {
        parent.start(on: loop, delegate: self)
        loop.run()
    }

    // MARK: LinkDelegate

    func link(_ link: Link, didReceive envelope: Envelope) {
        if link === parent {
            lastHeardFromParent = Clock.seconds()
            fromParent(envelope)
        } else {
            fromChild(link, envelope)
        }
    }

    func linkDidDrain(_ link: Link) {
        guard link === parent else { return }
        for handle in tasks.values { handle.running?.resume() }
        resumeChildren()
    }

    func link(_ link: Link, didCloseWith reason: String?) {
        if link === parent {
            // The parent is gone: nobody can use our results. No orphans.
            return exitNow()
        }
        let child = link.peer
        guard let record = children.removeValue(forKey: child) else { return }
        pausedChildren.remove(child)
        payloads.childGone(child)
        let lost = routes.removeSubtree(of: child)
        guard !exiting else {
            // Shutting down: once every child has gone, there is nothing left to wait for.
            if children.isEmpty { exitNow() }
            return
        }
        let why = reason ?? "the agent closed the link"
        send(ChildDown(nodes: lost.isEmpty ? [child] : lost, phase: "link",
                       reason: "link \(welcome.map { "from node \($0.node.rawValue) " } ?? "")to \(record.name) lost: \(why)"),
             to: .controller, stream: 0)
    }

    // MARK: From the parent

    private func fromParent(_ envelope: Envelope) {
        guard let type = envelope.messageType else {
            return protocolFailure("unknown message type \(envelope.type)")
        }
        guard welcome != nil else {
            guard type == .welcome, let welcome = try? envelope.decode(Welcome.self) else {
                return protocolFailure("expected a welcome, got \(type)")
            }
            return accept(welcome)
        }
        if envelope.destination != node {
            return forwardDown(envelope)
        }
        do {
            switch type {
            case .ping:
                let ping = try envelope.decode(Ping.self)
                reply(to: envelope, Pong(nonce: ping.nonce))
            case .runTask:
                startTask(try envelope.decode(RunTask.self), envelope: envelope)
            case .cancelTask:
                let cancel = try envelope.decode(CancelTask.self)
                tasks[envelope.stream]?.running?.cancel(reason: cancel.reason)
            case .spawnChild:
                spawn(try envelope.decode(SpawnChild.self))
            case .payloadChunk:
                payloads.handleChunk(stream: envelope.stream, try envelope.decode(PayloadChunk.self))
            case .payloadError:
                payloads.handleError(stream: envelope.stream, try envelope.decode(PayloadError.self))
            case .signResponse:
                let response = try envelope.decode(SignResponse.self)
                pendingSigns.removeValue(forKey: envelope.stream)?.fulfil(response)
            case .statsRequest:
                reply(to: envelope, StatsReport(links: children.map { id, child in
                    let stats = child.link.statistics
                    let counters = payloads.counters[id] ?? PayloadService.Counters()
                    return LinkReport(child: id, bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived,
                                      payloadBytesSent: stats.payloadBytesSent, payloadBytesReceived: stats.payloadBytesReceived,
                                      framesSent: stats.framesSent, framesReceived: stats.framesReceived,
                                      bootstrapBytesSent: child.bootstrapBytes, payloadsServed: counters.transfers,
                                      payloadsFromCache: counters.fromCache)
                }))
            case .shutdown:
                shutdown()
            case .protocolError:
                let error = try envelope.decode(ProtocolErrorMessage.self)
                StandardError.write("rhizome-agent: parent reported: \(error.message)\n")
                exitNow()
            default:
                protocolFailure("unexpected \(type) from parent")
            }
        } catch {
            protocolFailure("\(error)")
        }
    }

    private func accept(_ welcome: Welcome) {
        self.welcome = welcome
        node = welcome.node
        parent.local = node
        parent.peer = welcome.parent
        payloads = makePayloadService(cacheBytes: welcome.payloadCacheBytes)
        payloads.diskCache = targetCache
        if welcome.keepaliveInterval > 0 {
            keepalive(every: Double(welcome.keepaliveInterval))
        }
    }

    private func forwardDown(_ envelope: Envelope) {
        guard let hop = routes.nextHop(for: envelope.destination), let child = children[hop] else {
            send(ChildDown(nodes: [envelope.destination], phase: "link",
                           reason: "node \(node.rawValue) has no route to node \(envelope.destination.rawValue)"),
                 to: .controller, stream: 0)
            return
        }
        child.link.send(envelope)
    }

    // MARK: From children

    /// Messages a child may send towards the controller.
    private static let upward: Set<MessageType> = [
        .taskOutput, .taskResult, .pong, .childUp, .childDown, .signRequest, .log, .statsReport, .protocolError,
    ]

    private func fromChild(_ link: Link, _ envelope: Envelope) {
        let child = link.peer
        guard envelope.source == child || routes.isReached(envelope.source, through: child) else {
            return link.close(reason: "node \(child.rawValue) sent a message claiming to come from node \(envelope.source.rawValue)")
        }
        guard let type = envelope.messageType else {
            return link.close(reason: "unknown message type \(envelope.type) from node \(child.rawValue)")
        }
        if envelope.destination == node {
            // Children address their parent only to fetch payloads and to
            // answer its pings.
            do {
                switch type {
                case .pong: return
                case .payloadRequest:
                    guard envelope.source == child else { break }
                    return payloads.handleRequest(from: child, stream: envelope.stream, try envelope.decode(PayloadRequest.self))
                case .payloadCredit:
                    guard envelope.source == child else { break }
                    return payloads.handleCredit(from: child, stream: envelope.stream, try envelope.decode(PayloadCredit.self))
                default: break
                }
            } catch {
                return link.close(reason: "bad \(type) from node \(child.rawValue): \(error)")
            }
            return link.close(reason: "node \(child.rawValue) sent \(type), which children may not send to their parent")
        }
        guard Self.upward.contains(type) else {
            return link.close(reason: "node \(child.rawValue) sent \(type) upwards, which only parents may send")
        }
        do {
            if type == .childUp {
                routes.add(try envelope.decode(ChildUp.self).node, via: child)
            } else if type == .childDown {
                routes.remove(try envelope.decode(ChildDown.self).nodes)
            }
        } catch {
            return link.close(reason: "bad \(type) from node \(child.rawValue): \(error)")
        }
        parent.send(envelope)
        if isCongested { pause(child) }
    }

    // MARK: Back-pressure

    /// Children whose links are not read while the parent link is congested.
    /// Their agents then fill their own links and pause their tasks' pipes,
    /// so a slow link upstream holds back output at its source instead of in
    /// a relay's memory.
    private var pausedChildren: Set<NodeID> = []

    private func pause(_ child: NodeID) {
        guard let link = children[child]?.link, pausedChildren.insert(child).inserted else { return }
        link.transport.setReading(false)
    }

    private func resumeChildren() {
        guard !pausedChildren.isEmpty, !isCongested else { return }
        let paused = pausedChildren
        pausedChildren.removeAll()
        for id in paused {
            guard let child = children[id] else { continue }
            child.link.heard()
            child.link.transport.setReading(true)
        }
    }

    // MARK: Spawning

    private func spawn(_ request: SpawnChild) {
        guard children[request.node] == nil else {
            send(ChildDown(nodes: [request.node], phase: "connect", reason: "node \(request.node.rawValue) is already a child"),
                 to: .controller, stream: 0)
            return
        }
        let loop = loop
        let images = selfImage
        let me = node
        let timeout = max(request.operationTimeout, 1)
        let box = LoopBox(self)
        let cacheLocation = targetCache.map { (directory: $0.directory, limit: $0.limit) }
        OSThread.detach(name: "rhizome-image") {
            guard let image = images.load() else {
                loop.execute {
                    box.value.send(ChildDown(nodes: [request.node], phase: "bootstrap",
                                             reason: "the relay cannot read its own executable to send it on"),
                                   to: .controller, stream: 0)
                }
                return
            }
            let cache = cacheLocation.map { TargetCacheSettings(directory: $0.directory, limit: $0.limit, agentDigest: image.digest.hex) }
            ChildSpawner.spawn(request, parent: me, image: image, cache: cache, sign: { publicKey, data in
                let waiter = Rendezvous<SignResponse>()
                loop.execute { box.value.requestSignature(publicKey: publicKey, data: data, waiter: waiter) }
                guard let response = waiter.wait(timeout: timeout) else {
                    throw SignFailure(message: "the controller did not answer a signature request within \(Int(timeout)) s")
                }
                guard response.error.isEmpty else { throw SignFailure(message: response.error) }
                return response.signature
            }, completion: { outcome in
                loop.execute { box.value.spawned(request, outcome.value) }
            })
        }
    }

    private func requestSignature(publicKey: [UInt8], data: [UInt8], waiter: Rendezvous<SignResponse>) {
        let stream = nextSignStream
        nextSignStream &+= 1
        pendingSigns[stream] = waiter
        send(SignRequest(publicKey: publicKey, data: data), to: .controller, stream: stream)
    }

    private func spawned(_ request: SpawnChild, _ outcome: ChildSpawner.Outcome) {
        switch outcome {
        case .failed(let phase, let reason, let cause):
            send(ChildDown(nodes: [request.node], phase: phase, reason: reason, cause: cause.rawValue), to: .controller, stream: 0)
        case .up(let established):
            guard !exiting else { return }
            let transport = SSHChannelTransport(channel: established.channel,
                                                keepaliveInterval: Int(request.keepaliveInterval))
            let link = Link(local: node, peer: request.node, transport: transport)
            children[request.node] = Child(name: request.name, link: link, bootstrapBytes: UInt64(established.bootstrapBytesSent))
            routes.addChild(request.node)
            link.start(on: loop, delegate: self)
            if !established.leftover.isEmpty { link.inject(established.leftover) }
            var accepted = ""
            var warning = ""
            switch established.hostKey {
            case .known: break
            case .accepted(let line): accepted = line
            case .unchecked(let text): warning = text
            }
            let timings = established.timings
            send(ChildUp(node: request.node, hello: established.hello, handshake: timings.handshake,
                         authentication: timings.authentication, bootstrap: timings.bootstrap,
                         acceptedHostKeyLine: accepted, warning: warning,
                         bootstrapBytesSent: UInt64(established.bootstrapBytesSent)),
                 to: .controller, stream: 0)
        }
    }

    // MARK: Tasks

    private func startTask(_ request: RunTask, envelope: Envelope) {
        let id = envelope.stream
        guard tasks[id] == nil else {
            return reply(to: envelope, TaskResult(failed: true, message: "task id \(id) is already running"))
        }
        let handle = TaskHandle(id: id, requester: envelope.source, runtime: self)
        tasks[id] = handle
        handle.running = BuiltinModules.start(request, loop: loop, sink: handle, baseEnvironment: environment,
                                              context: ModuleContext(payloads: fetchAdapter, workDirectory: workDirectory))
    }

    func send<M: WireMessage>(_ message: M, to destination: NodeID, stream: UInt32) {
        parent.send(Envelope(message, destination: destination, source: node, stream: stream))
    }

    /// A task's result, or, when it is too large for one message (a module that printed a
    /// huge JSON result), a failure that says so, with the same times, exit status and counts.
    fileprivate func sendResult(_ result: TaskResult, to destination: NodeID, stream: UInt32) {
        let envelope = Envelope(result, destination: destination, source: node, stream: stream)
        guard envelope.body.count > FrameLimits.maxMessage else { return parent.send(envelope) }
        var failure = result
        failure.failed = true
        failure.data = .map([])
        failure.message = "the module's result is \(envelope.body.count) bytes, over the \(FrameLimits.maxMessage >> 20) MiB "
            + "one message may carry: print less, or write the data to a file on the host"
        send(failure, to: destination, stream: stream)
    }

    fileprivate func taskDone(_ id: UInt32) {
        tasks[id] = nil
    }

    fileprivate var isCongested: Bool { parent.pendingBytes > Self.congestionThreshold }

    private func reply<M: WireMessage>(to envelope: Envelope, _ message: M) {
        send(message, to: envelope.source, stream: envelope.stream)
    }

    // MARK: Liveness and exit

    /// Pings the children every interval (their pongs, like the parent's
    /// pings, keep each link heard); a child that stays silent is cut off
    /// and its subtree reported down, and a silent parent means nobody can
    /// use our results, so the agent leaves.
    private func keepalive(every interval: Double) {
        loop.schedule(after: interval) { [weak self] in
            guard let self else { return }
            let limit = interval * Link.silentIntervalsBeforeDead
            if Clock.seconds() - self.lastHeardFromParent > limit {
                StandardError.write("rhizome-agent: parent silent for \(Self.seconds(limit)) s, exiting\n")
                return self.exitNow()
            }
            for (id, child) in self.children {
                if !self.pausedChildren.contains(id) && child.link.silence > limit {
                    child.link.close(reason: "no word from \(child.name) for \(Self.seconds(child.link.silence)) s "
                                     + "(keepalive every \(Self.seconds(interval)) s)")
                    continue
                }
                child.link.send(Envelope(Ping(nonce: 0), destination: id, source: self.node))
            }
            self.keepalive(every: interval)
        }
    }

    private static func seconds(_ value: Double) -> String {
        value >= 10 || value == value.rounded() ? "\(Int(value.rounded()))" : "\((value * 10).rounded() / 10)"
    }

    private func protocolFailure(_ message: String) {
        send(ProtocolErrorMessage(message: message), to: parent.peer, stream: 0)
        StandardError.write("rhizome-agent: \(message)\n")
        exitNow()
    }

    /// Passes the shutdown on, then exits once every child has closed its link
    /// (each exits when it hears it), or after a second at most.
    private func shutdown() {
        exiting = true
        for handle in tasks.values { handle.running?.cancel(reason: "agent shutting down") }
        guard !children.isEmpty else { return exitNow() }
        for (id, child) in children {
            child.link.send(Envelope(Shutdown(reason: "parent shutting down"), destination: id, source: node))
        }
        loop.schedule(after: 1) { [weak self] in self?.exitNow() }
    }

    private func exitNow() {
        exiting = true
        for handle in tasks.values { handle.running?.cancel(reason: "agent exiting") }
        tasks.removeAll()
        // Children notice our link closing when the process ends.
        exit(0)
    }
}

struct SignFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Hands the runtime to closures that only run on its loop thread.
final class LoopBox: @unchecked Sendable {
    let value: AgentRuntime
    init(_ value: AgentRuntime) { self.value = value }
}

/// Connects one running module to the parent link.
private final class TaskHandle: TaskSink {
    let id: UInt32
    let requester: NodeID
    unowned let runtime: AgentRuntime
    var running: (any RunningTask)?

    init(id: UInt32, requester: NodeID, runtime: AgentRuntime) {
        self.id = id
        self.requester = requester
        self.runtime = runtime
    }

    /// Output bytes sent so far; the result carries them so that the
    /// controller can tell that it has all of the output.
    private var sent: [OutputStream: UInt64] = [:]

    func taskOutput(_ stream: OutputStream, _ data: [UInt8]) {
        sent[stream, default: 0] += UInt64(data.count)
        runtime.send(TaskOutput(stream: stream, data: data), to: requester, stream: id)
    }

    func taskFinished(_ result: TaskResult) {
        var result = result
        result.stdoutBytes = sent[.stdout] ?? 0
        result.stderrBytes = sent[.stderr] ?? 0
        runtime.sendResult(result, to: requester, stream: id)
        runtime.taskDone(id)
    }

    var isCongested: Bool { runtime.isCongested }
}
