import Foundation
import Logging
import RhizomeIO
import RhizomeMesh
import RhizomeWire

/// How a relayed spawn ended.
enum SpawnOutcome: Sendable {
    case up(ChildUp)
    case down(phase: String, reason: String, cause: LinkFailureCause)
}

/// The controller's state on its event loop thread: links to first-hop
/// agents, routes to every node, tasks and spawns in flight. Only touched from
/// that thread.
final class ControllerCore: LinkDelegate {
    private struct FirstHop {
        var link: Link
        var bootstrapBytes: Int
    }

    private struct PendingTask {
        var host: String
        var continuation: CheckedContinuation<TaskOutcome, Never>
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
    }

    private let loop: EventLoop
    private let logger: Logger
    private let keepaliveInterval: Int
    /// Links the controller holds itself, by the first-hop node at their end.
    private var firstHops: [NodeID: FirstHop] = [:]
    /// Every node's first hop (itself for a first hop).
    private var route: [NodeID: NodeID] = [:]
    /// Inventory names, for messages.
    private var names: [NodeID: String] = [:]
    private var tasks: [NodeID: [UInt32: PendingTask]] = [:]
    private var spawns: [NodeID: CheckedContinuation<SpawnOutcome, Never>] = [:]
    /// Spawns in flight by the relay doing them, with the user each logs in as:
    /// the only signatures a relay may ask for.
    private var spawnsByRelay: [NodeID: [NodeID: String]] = [:]
    private var pings: [UInt64: (node: NodeID, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var stats: [NodeID: CheckedContinuation<[LinkReport], Never>] = [:]
    private var nextNonce: UInt64 = 1
    /// Why a node went away, for tasks sent to it afterwards.
    private var lost: [NodeID: String] = [:]
    private var shuttingDown: (() -> Void)?
    /// Answers relays' signature requests (set by the controller).
    var signatures: ((_ publicKey: [UInt8], _ data: [UInt8], _ reply: @escaping @Sendable (SignResponse) -> Void) -> Void)?

    /// Serves the controller's payloads (files to copy, external modules) to first hops.
    private(set) var payloads: PayloadService!

    /// `RHIZOME_TRACE_FRAMES=FILE` appends every frame sent to a first hop to FILE.
    private let frameTrace: FileHandle? = {
        guard let path = ProcessInfo.processInfo.environment["RHIZOME_TRACE_FRAMES"], !path.isEmpty else { return nil }
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        return FileHandle(forWritingAtPath: path)
    }()

    init(loop: EventLoop, logger: Logger, keepaliveInterval: Int) {
        self.loop = loop
        self.logger = logger
        self.keepaliveInterval = keepaliveInterval
        self.payloads = PayloadService(node: .controller, parent: nil, cacheCapacity: 0) { [unowned self] destination, stream, message in
            let envelope = Envelope(type: type(of: message).messageType.rawValue, destination: destination, source: .controller,
                                    stream: stream, body: message.encodedBody)
            self.firstHops[destination]?.link.send(envelope)
        }
    }

    // MARK: Nodes

    /// A first-hop agent whose link the controller holds.
    func attach(handle: AgentHandle, transport: any Transport, leftover: [UInt8], bootstrapBytes: Int) {
        let link = Link(local: .controller, peer: handle.node, transport: transport)
        if let trace = frameTrace { link.frameObserver = { trace.write(Data($0)) } }
        firstHops[handle.node] = FirstHop(link: link, bootstrapBytes: bootstrapBytes)
        route[handle.node] = handle.node
        names[handle.node] = handle.host
        link.start(on: loop, delegate: self)
        if !leftover.isEmpty { link.inject(leftover) }
    }

    /// Asks `parent` to bring up `request.node`; the outcome comes from its `ChildUp`/`ChildDown`.
    func spawn(_ request: SpawnChild, via parent: NodeID, continuation: CheckedContinuation<SpawnOutcome, Never>) {
        guard let hop = route[parent], let link = firstHops[hop]?.link, !link.isClosed else {
            continuation.resume(returning: .down(phase: "link", reason: lost[parent] ?? "the relay is gone", cause: .linkLost))
            return
        }
        route[request.node] = hop
        names[request.node] = request.name
        spawns[request.node] = continuation
        spawnsByRelay[parent, default: [:]][request.node] = request.user
        link.send(Envelope(request, destination: parent, source: .controller))
    }

    private func link(to node: NodeID) -> Link? {
        guard let hop = route[node], let link = firstHops[hop]?.link, !link.isClosed else { return nil }
        return link
    }

    // MARK: Tasks

    func start(_ request: RunTask, on handle: AgentHandle, stream: UInt32, continuation: CheckedContinuation<TaskOutcome, Never>) {
        if let interrupted {
            continuation.resume(returning: TaskOutcome(host: handle.host, status: .failed, message: "not started: \(interrupted)"))
            return
        }
        guard let link = link(to: handle.node) else {
            let reason = lost[handle.node] ?? "no link"
            continuation.resume(returning: .unreachable(handle.host, "link to \(handle.host) lost: \(reason)"))
            return
        }
        let envelope = Envelope(request, destination: handle.node, source: .controller, stream: stream)
        guard envelope.body.count <= FrameLimits.maxMessage else {
            continuation.resume(returning: TaskOutcome(
                host: handle.host, status: .failed,
                message: "the task's arguments are \(envelope.body.count) bytes, over the \(FrameLimits.maxMessage >> 20) MiB "
                    + "one message may carry: send large content as a file (copy src=)"))
            return
        }
        tasks[handle.node, default: [:]][stream] = PendingTask(host: handle.host, continuation: continuation)
        link.send(envelope)
    }

    /// Why the run was cut short, once it was: tasks asked for afterwards do not start.
    private var interrupted: String?

    /// Cancels every running task: each agent kills its task's process group
    /// and sends the result (what ran, what it printed). Tasks whose result
    /// has not come within `grace` seconds end as failed without one.
    func cancelAll(reason: String, grace: Double) {
        guard interrupted == nil else { return }
        interrupted = reason
        for (node, streams) in tasks {
            guard let link = link(to: node) else { continue }
            for stream in streams.keys {
                link.send(Envelope(CancelTask(reason: reason), destination: node, source: .controller, stream: stream))
            }
        }
        loop.schedule(after: grace) { [weak self] in
            guard let self else { return }
            for (node, streams) in self.tasks {
                for (_, pending) in streams {
                    var outcome = TaskOutcome(host: pending.host, status: .failed,
                                              message: "\(reason); no result came within \(Int(grace)) s of the cancel")
                    outcome.stdout = pending.stdout
                    outcome.stderr = pending.stderr
                    pending.continuation.resume(returning: outcome)
                }
                self.tasks[node] = nil
            }
        }
    }

    func ping(_ node: NodeID, timeout: Double? = nil, continuation: CheckedContinuation<Bool, Never>) {
        guard let link = link(to: node) else {
            continuation.resume(returning: false)
            return
        }
        let nonce = nextNonce
        nextNonce += 1
        pings[nonce] = (node, continuation)
        link.send(Envelope(Ping(nonce: nonce), destination: node, source: .controller))
        if let timeout {
            loop.schedule(after: timeout) { [weak self] in
                self?.pings.removeValue(forKey: nonce)?.continuation.resume(returning: false)
            }
        }
    }

    // MARK: Statistics

    /// Payload figures of the links the controller holds.
    func firstHopPayloadCounters() -> [NodeID: PayloadService.Counters] {
        payloads.counters
    }

    /// Counters of the links the controller holds.
    func firstHopStatistics() -> [NodeID: LinkStatistics] {
        firstHops.mapValues { hop in
            var stats = hop.link.statistics
            stats.bootstrapBytesSent = UInt64(hop.bootstrapBytes)
            return stats
        }
    }

    /// Asks a relay for the figures of the links to its children.
    func relayStatistics(_ node: NodeID, continuation: CheckedContinuation<[LinkReport], Never>) {
        guard let link = link(to: node), stats[node] == nil else {
            continuation.resume(returning: [])
            return
        }
        stats[node] = continuation
        link.send(Envelope(StatsRequest(), destination: node, source: .controller))
    }

    // MARK: Liveness and shutdown

    /// Pings the first hops every interval (relays ping their own children).
    /// A first hop silent for `Link.silentIntervalsBeforeDead` intervals is
    /// cut off, and everything behind it reported unreachable; agents leave
    /// on their own when their parent goes silent as long.
    func startKeepalives() {
        guard keepaliveInterval > 0 else { return }
        let interval = Double(keepaliveInterval)
        loop.schedule(after: interval) { [weak self] in
            guard let self else { return }
            let limit = interval * Link.silentIntervalsBeforeDead
            for (node, hop) in self.firstHops where !hop.link.isClosed {
                if hop.link.silence > limit {
                    hop.link.close(reason: "no word from \(self.names[node] ?? "\(node)") for \(Int(hop.link.silence.rounded())) s "
                                   + "(keepalive every \(self.keepaliveInterval) s)")
                    continue
                }
                hop.link.send(Envelope(Ping(nonce: 0), destination: node, source: .controller))
            }
            self.startKeepalives()
        }
    }

    func shutdown(timeout: Double, done: @escaping () -> Void) {
        let open = firstHops.filter { !$0.value.link.isClosed }
        if open.isEmpty { return done() }
        shuttingDown = done
        for (node, hop) in open {
            hop.link.send(Envelope(Shutdown(reason: "run finished"), destination: node, source: .controller))
        }
        loop.schedule(after: timeout) { [weak self] in
            guard let self, self.shuttingDown != nil else { return }
            for hop in self.firstHops.values where !hop.link.isClosed { hop.link.close(reason: "shutdown timed out") }
            self.finishShutdownIfDone()
        }
    }

    /// Drops every link (and so every SSH session) on the loop thread.
    func releaseAll() {
        for hop in firstHops.values where !hop.link.isClosed { hop.link.close(reason: "controller stopped") }
        firstHops.removeAll()
    }

    private func finishShutdownIfDone() {
        guard let done = shuttingDown, firstHops.values.allSatisfy({ $0.link.isClosed }) else { return }
        shuttingDown = nil
        done()
    }

    /// Nodes that can no longer be reached: their tasks, spawns and pings end.
    private func nodesLost(_ nodes: [NodeID], reason: String, phase: String = "link", cause: LinkFailureCause = .linkLost) {
        for node in nodes {
            if let spawn = spawns.removeValue(forKey: node) {
                forgetSpawn(node)
                spawn.resume(returning: .down(phase: phase, reason: reason, cause: cause))
            }
            lost[node] = reason
            let host = names[node] ?? "\(node)"
            for (_, pending) in tasks.removeValue(forKey: node) ?? [:] {
                pending.continuation.resume(returning: .unreachable(pending.host, "link to \(host) lost: \(reason)"))
            }
            for (nonce, waiter) in pings where waiter.node == node {
                pings[nonce] = nil
                waiter.continuation.resume(returning: false)
            }
            stats.removeValue(forKey: node)?.resume(returning: [])
            route[node] = nil
        }
    }

    private func forgetSpawn(_ node: NodeID) {
        for relay in spawnsByRelay.keys { spawnsByRelay[relay]?[node] = nil }
    }

    /// Why `data` is not something to sign for a relay, or nil when it is the
    /// SSH_MSG_USERAUTH_REQUEST of a publickey login as one of `allowedUsers`
    /// (RFC 4252 §7: session id, 50, user, "ssh-connection", "publickey", TRUE, …).
    static func refusal(of data: [UInt8], allowedUsers: Set<String>) -> String? {
        guard !allowedUsers.isEmpty else { return "the relay has no login in progress" }
        var offset = 0
        func string() -> [UInt8]? {
            guard offset + 4 <= data.count else { return nil }
            let length = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            guard length >= 0, offset + 4 + length <= data.count else { return nil }
            defer { offset += 4 + length }
            return Array(data[offset + 4 ..< offset + 4 + length])
        }
        guard string() != nil, offset < data.count, data[offset] == 50 else { return "not an SSH authentication request" }
        offset += 1
        guard let user = string().map({ String(decoding: $0, as: UTF8.self) }),
              string().map({ String(decoding: $0, as: UTF8.self) }) == "ssh-connection",
              string().map({ String(decoding: $0, as: UTF8.self) }) == "publickey" else {
            return "not an SSH publickey authentication request"
        }
        guard allowedUsers.contains(user) else { return "login as \(user), which no spawn of this relay uses" }
        return nil
    }

    /// A finished task's outcome. Output that the agent sent and that did not
    /// arrive fails the task: nothing is lost silently.
    private static func outcome(of pending: PendingTask, _ result: TaskResult) -> TaskOutcome {
        var result = result
        let received = (stdout: UInt64(pending.stdout.count), stderr: UInt64(pending.stderr.count))
        if received != (result.stdoutBytes, result.stderrBytes) {
            result.failed = true
            result.message = "output lost on the way: received \(received.stdout) of \(result.stdoutBytes) stdout bytes "
                + "and \(received.stderr) of \(result.stderrBytes) stderr bytes"
                + (result.message.isEmpty ? "" : "; \(result.message)")
        }
        let status: TaskOutcome.Status = result.failed ? .failed : (result.changed ? .changed : .ok)
        return TaskOutcome(host: pending.host, status: status, result: result, stdout: pending.stdout, stderr: pending.stderr,
                           message: result.message)
    }

    // MARK: LinkDelegate

    func link(_ link: Link, didReceive envelope: Envelope) {
        let source = envelope.source
        guard route[source] == link.peer, envelope.destination == .controller else {
            return link.close(reason: "\(names[link.peer] ?? "\(link.peer)") sent a message from node \(source.rawValue) to node "
                                  + "\(envelope.destination.rawValue), which it does not lead to")
        }
        do {
            switch envelope.messageType {
            case .taskOutput:
                let output = try envelope.decode(TaskOutput.self)
                guard tasks[source]?[envelope.stream] != nil else {
                    // Output follows its task's result nowhere on the way (Link.Priority): this is a bug.
                    logger.warning("output after the task's result",
                                   metadata: ["host": "\(names[source] ?? "\(source)")", "bytes": "\(output.data.count)"])
                    return
                }
                if output.stream == .stdout {
                    tasks[source]?[envelope.stream]?.stdout.append(contentsOf: output.data)
                } else {
                    tasks[source]?[envelope.stream]?.stderr.append(contentsOf: output.data)
                }
            case .taskResult:
                let result = try envelope.decode(TaskResult.self)
                guard let pending = tasks[source]?.removeValue(forKey: envelope.stream) else { return }
                pending.continuation.resume(returning: Self.outcome(of: pending, result))
            case .pong:
                let pong = try envelope.decode(Pong.self)
                if let waiter = pings.removeValue(forKey: pong.nonce) { waiter.continuation.resume(returning: true) }
            case .payloadRequest where source == link.peer:
                payloads.handleRequest(from: source, stream: envelope.stream, try envelope.decode(PayloadRequest.self))
            case .payloadCredit where source == link.peer:
                payloads.handleCredit(from: source, stream: envelope.stream, try envelope.decode(PayloadCredit.self))
            case .childUp:
                let up = try envelope.decode(ChildUp.self)
                guard route[up.node] == link.peer, let spawn = spawns.removeValue(forKey: up.node) else { return }
                forgetSpawn(up.node)
                spawn.resume(returning: .up(up))
            case .childDown:
                let down = try envelope.decode(ChildDown.self)
                nodesLost(down.nodes.filter { route[$0] == link.peer }, reason: down.reason, phase: down.phase,
                          cause: LinkFailureCause(rawValue: down.cause) ?? LinkFailureCause(phase: down.phase))
            case .signRequest:
                let request = try envelope.decode(SignRequest.self)
                // A relay gets signatures only for logins it was asked to make:
                // an SSH publickey request for the user of one of its spawns.
                let users = Set(spawnsByRelay[source]?.values.map { $0 } ?? [])
                if let refusal = Self.refusal(of: request.data, allowedUsers: users) {
                    logger.warning("refused a signature request", metadata: ["relay": "\(names[source] ?? "\(source)")", "reason": "\(refusal)"])
                    return link.send(Envelope(SignResponse(error: "signature refused: \(refusal)"), destination: source,
                                              source: .controller, stream: envelope.stream))
                }
                let loop = loop
                let stream = envelope.stream
                let core = LoopConfined(self)
                guard let signatures else {
                    return link.send(Envelope(SignResponse(error: "this controller signs for no key"), destination: source,
                                              source: .controller, stream: stream))
                }
                signatures(request.publicKey, request.data) { response in
                    loop.execute {
                        core.value.link(to: source)?.send(Envelope(response, destination: source, source: .controller, stream: stream))
                    }
                }
            case .statsReport:
                let report = try envelope.decode(StatsReport.self)
                stats.removeValue(forKey: source)?.resume(returning: report.links)
            case .log:
                let record = try envelope.decode(LogRecord.self)
                logger.info("\(record.message)", metadata: ["host": "\(names[source] ?? "\(source)")"])
            case .protocolError:
                let error = try envelope.decode(ProtocolErrorMessage.self)
                link.close(reason: "agent reported a protocol error: \(error.message)")
            default:
                link.close(reason: "unexpected message type \(envelope.type) from node \(source.rawValue)")
            }
        } catch {
            link.close(reason: "bad message from node \(source.rawValue): \(error)")
        }
    }

    func link(_ link: Link, didReceiveDiagnostics text: String) {
        guard !text.isEmpty else { return }
        logger.debug("agent: \(text)", metadata: ["host": "\(names[link.peer] ?? "\(link.peer)")"])
    }

    func link(_ link: Link, didCloseWith reason: String?) {
        let hop = link.peer
        let host = names[hop] ?? "\(hop)"
        let why = reason ?? "the agent closed the link"
        if shuttingDown == nil { logger.debug("link closed", metadata: ["host": "\(host)", "reason": "\(why)"]) }
        payloads.childGone(hop)
        let below = route.filter { $0.value == hop }.map(\.key)
        nodesLost([hop], reason: why)
        nodesLost(below.filter { $0 != hop }, reason: "link to \(host) lost: \(why)")
        finishShutdownIfDone()
    }
}
