import Logging
import RhizomeIO
import RhizomeMesh
import RhizomeWire

/// The controller's state on its event loop thread: links to agents and tasks
/// in flight. Only touched from that thread.
final class ControllerCore: LinkDelegate {
    private struct Agent {
        var handle: AgentHandle
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
    private var agents: [NodeID: Agent] = [:]
    private var tasks: [NodeID: [UInt32: PendingTask]] = [:]
    private var pings: [UInt64: (node: NodeID, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextNonce: UInt64 = 1
    /// Why a node's link went away, for tasks sent to it afterwards.
    private var lost: [NodeID: String] = [:]
    private var shuttingDown: (() -> Void)?

    init(loop: EventLoop, logger: Logger, keepaliveInterval: Int) {
        self.loop = loop
        self.logger = logger
        self.keepaliveInterval = keepaliveInterval
    }

    func attach(handle: AgentHandle, transport: any Transport, leftover: [UInt8], bootstrapBytes: Int) {
        let link = Link(local: .controller, peer: handle.node, transport: transport)
        agents[handle.node] = Agent(handle: handle, link: link, bootstrapBytes: bootstrapBytes)
        link.start(on: loop, delegate: self)
        if !leftover.isEmpty { link.inject(leftover) }
    }

    func start(_ request: RunTask, on handle: AgentHandle, stream: UInt32, continuation: CheckedContinuation<TaskOutcome, Never>) {
        guard let agent = agents[handle.node], !agent.link.isClosed else {
            let reason = lost[handle.node] ?? "no link"
            continuation.resume(returning: .unreachable(handle.host, "link to \(handle.host) lost: \(reason)"))
            return
        }
        tasks[handle.node, default: [:]][stream] = PendingTask(host: handle.host, continuation: continuation)
        agent.link.send(Envelope(request, destination: handle.node, source: .controller, stream: stream))
    }

    func ping(_ node: NodeID, continuation: CheckedContinuation<Bool, Never>) {
        guard let agent = agents[node], !agent.link.isClosed else {
            continuation.resume(returning: false)
            return
        }
        let nonce = nextNonce
        nextNonce += 1
        pings[nonce] = (node, continuation)
        agent.link.send(Envelope(Ping(nonce: nonce), destination: node, source: .controller))
    }

    func statistics() -> [NodeID: LinkStatistics] {
        var result: [NodeID: LinkStatistics] = [:]
        for (node, agent) in agents {
            var stats = agent.link.statistics
            stats.bootstrapBytesSent = UInt64(agent.bootstrapBytes)
            result[node] = stats
        }
        return result
    }

    /// Agents exit when they hear nothing for 4 intervals; ping them.
    func startKeepalives() {
        guard keepaliveInterval > 0 else { return }
        loop.schedule(after: Double(keepaliveInterval)) { [weak self] in
            guard let self else { return }
            for (node, agent) in self.agents where !agent.link.isClosed {
                agent.link.send(Envelope(Ping(nonce: 0), destination: node, source: .controller))
            }
            self.startKeepalives()
        }
    }

    func shutdown(timeout: Double, done: @escaping () -> Void) {
        let open = agents.values.filter { !$0.link.isClosed }
        if open.isEmpty { return done() }
        shuttingDown = done
        for agent in open {
            agent.link.send(Envelope(Shutdown(reason: "run finished"), destination: agent.handle.node, source: .controller))
        }
        loop.schedule(after: timeout) { [weak self] in
            guard let self, self.shuttingDown != nil else { return }
            for agent in self.agents.values where !agent.link.isClosed { agent.link.close(reason: "shutdown timed out") }
            self.finishShutdownIfDone()
        }
    }

    /// Drops every link (and so every SSH session) on the loop thread.
    func releaseAll() {
        for agent in agents.values where !agent.link.isClosed { agent.link.close(reason: "controller stopped") }
        agents.removeAll()
    }

    private func finishShutdownIfDone() {
        guard let done = shuttingDown, agents.values.allSatisfy({ $0.link.isClosed }) else { return }
        shuttingDown = nil
        done()
    }

    // MARK: LinkDelegate

    func link(_ link: Link, didReceive envelope: Envelope) {
        let node = link.peer
        guard envelope.source == node else {
            return link.close(reason: "\(node) sent a message claiming to be from \(envelope.source)")
        }
        do {
            switch envelope.messageType {
            case .taskOutput:
                let output = try envelope.decode(TaskOutput.self)
                guard tasks[node]?[envelope.stream] != nil else { return }
                if output.stream == .stdout {
                    tasks[node]?[envelope.stream]?.stdout.append(contentsOf: output.data)
                } else {
                    tasks[node]?[envelope.stream]?.stderr.append(contentsOf: output.data)
                }
            case .taskResult:
                let result = try envelope.decode(TaskResult.self)
                guard let pending = tasks[node]?.removeValue(forKey: envelope.stream) else { return }
                let status: TaskOutcome.Status = result.failed ? .failed : (result.changed ? .changed : .ok)
                pending.continuation.resume(returning: TaskOutcome(host: pending.host, status: status, result: result,
                                                                  stdout: pending.stdout, stderr: pending.stderr,
                                                                  message: result.message))
            case .pong:
                let pong = try envelope.decode(Pong.self)
                if let waiter = pings.removeValue(forKey: pong.nonce) { waiter.continuation.resume(returning: true) }
            case .log:
                let record = try envelope.decode(LogRecord.self)
                logger.info("\(record.message)", metadata: ["node": "\(node)"])
            case .protocolError:
                let error = try envelope.decode(ProtocolErrorMessage.self)
                link.close(reason: "agent reported a protocol error: \(error.message)")
            default:
                link.close(reason: "unexpected message type \(envelope.type) from \(node)")
            }
        } catch {
            link.close(reason: "bad message from \(node): \(error)")
        }
    }

    func link(_ link: Link, didReceiveDiagnostics text: String) {
        guard !text.isEmpty else { return }
        let host = agents[link.peer]?.handle.host ?? "\(link.peer)"
        logger.debug("agent: \(text)", metadata: ["host": "\(host)"])
    }

    func link(_ link: Link, didCloseWith reason: String?) {
        let node = link.peer
        let host = agents[node]?.handle.host ?? "\(node)"
        let why = reason ?? "the agent closed the link"
        if shuttingDown == nil { logger.debug("link closed", metadata: ["host": "\(host)", "reason": "\(why)"]) }
        lost[node] = why
        for (_, pending) in tasks.removeValue(forKey: node) ?? [:] {
            pending.continuation.resume(returning: .unreachable(pending.host, "link to \(host) lost: \(why)"))
        }
        for (nonce, waiter) in pings where waiter.node == node {
            pings[nonce] = nil
            waiter.continuation.resume(returning: false)
        }
        finishShutdownIfDone()
    }
}
