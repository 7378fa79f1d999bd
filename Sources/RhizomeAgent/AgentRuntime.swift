#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeMesh
import RhizomeModules
import RhizomeWire

/// One agent: its parent link, the tasks it runs, and (later) its children.
///
/// Single-threaded: everything happens on the event loop, so nothing here needs
/// a lock.
final class AgentRuntime: LinkDelegate {
    private let loop: EventLoop
    private let parent: Link
    private let environment: [String]
    private var node = NodeID(UInt32.max)
    private var welcomed = false
    private var tasks: [UInt32: TaskHandle] = [:]
    private var lastHeardFromParent = Clock.seconds()
    private var silenceLimit: Double = 0
    /// Output buffered towards the parent beyond which tasks pause their pipes.
    static let congestionThreshold = 4 << 20

    init(environment: [String]) throws {
        self.loop = try EventLoop()
        self.environment = environment
        self.parent = Link(local: node, peer: .controller,
                           transport: FileDescriptorTransport(input: .standardInput, output: .standardOutput))
    }

    func run() {
        parent.start(on: loop, delegate: self)
        loop.run()
    }

    // MARK: LinkDelegate

    func link(_ link: Link, didReceive envelope: Envelope) {
        lastHeardFromParent = Clock.seconds()
        guard let type = envelope.messageType else {
            return protocolFailure("unknown message type \(envelope.type)")
        }
        do {
            if !welcomed {
                guard type == .welcome else { return protocolFailure("expected a welcome, got \(type)") }
                let welcome = try envelope.decode(Welcome.self)
                node = welcome.node
                parent.local = node
                parent.peer = welcome.parent
                welcomed = true
                if welcome.keepaliveInterval > 0 {
                    silenceLimit = Double(welcome.keepaliveInterval) * 4
                    watchParent()
                }
                return
            }
            switch type {
            case .ping:
                let ping = try envelope.decode(Ping.self)
                reply(to: envelope, Pong(nonce: ping.nonce))
            case .runTask:
                let request = try envelope.decode(RunTask.self)
                startTask(request, envelope: envelope)
            case .cancelTask:
                let cancel = try envelope.decode(CancelTask.self)
                tasks[envelope.stream]?.running?.cancel(reason: cancel.reason)
            case .shutdown:
                shutdown()
            case .protocolError:
                let error = try envelope.decode(ProtocolErrorMessage.self)
                StandardError.write("rhizome-agent: parent reported: \(error.message)\n")
                shutdown()
            default:
                protocolFailure("unexpected \(type) from parent")
            }
        } catch {
            protocolFailure("\(error)")
        }
    }

    func linkDidDrain(_ link: Link) {
        for handle in tasks.values { handle.running?.resume() }
    }

    func link(_ link: Link, didCloseWith reason: String?) {
        // The parent is gone: nobody can use our results. No orphans.
        shutdown()
    }

    // MARK: Tasks

    private func startTask(_ request: RunTask, envelope: Envelope) {
        let id = envelope.stream
        guard tasks[id] == nil else {
            return reply(to: envelope, TaskResult(failed: true, message: "task id \(id) is already running"))
        }
        let handle = TaskHandle(id: id, requester: envelope.source, runtime: self)
        tasks[id] = handle
        handle.running = BuiltinModules.start(request, loop: loop, sink: handle, baseEnvironment: environment)
    }

    fileprivate func send<M: WireMessage>(_ message: M, to destination: NodeID, stream: UInt32, priority: Link.Priority = .control) {
        parent.send(Envelope(message, destination: destination, source: node, stream: stream), priority: priority)
    }

    fileprivate func taskDone(_ id: UInt32) {
        tasks[id] = nil
    }

    fileprivate var isCongested: Bool { parent.pendingBytes > Self.congestionThreshold }

    private func reply<M: WireMessage>(to envelope: Envelope, _ message: M) {
        send(message, to: envelope.source, stream: envelope.stream)
    }

    private func watchParent() {
        loop.schedule(after: silenceLimit / 4) { [weak self] in
            guard let self else { return }
            if Clock.seconds() - self.lastHeardFromParent > self.silenceLimit {
                StandardError.write("rhizome-agent: parent silent for \(Int(self.silenceLimit)) s, exiting\n")
                self.shutdown()
            }
            self.watchParent()
        }
    }

    private func protocolFailure(_ message: String) {
        send(ProtocolErrorMessage(message: message), to: parent.peer, stream: 0)
        StandardError.write("rhizome-agent: \(message)\n")
        shutdown()
    }

    private func shutdown() {
        for handle in tasks.values { handle.running?.cancel(reason: "agent shutting down") }
        tasks.removeAll()
        exit(0)
    }
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

    func taskOutput(_ stream: OutputStream, _ data: [UInt8]) {
        runtime.send(TaskOutput(stream: stream, data: data), to: requester, stream: id, priority: .bulk)
    }

    func taskFinished(_ result: TaskResult) {
        runtime.send(result, to: requester, stream: id, priority: .bulk)
        runtime.taskDone(id)
    }

    var isCongested: Bool { runtime.isCongested }
}
