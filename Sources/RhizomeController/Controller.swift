import Foundation
import Logging
import RhizomeIO
import RhizomeInventory
import RhizomeMesh
import RhizomeSSH
import RhizomeWire
import Synchronization

/// A host with a running agent.
public struct AgentHandle: Sendable, Hashable {
    public var host: String
    public var node: NodeID
    /// What the agent said about itself.
    public var hello: Hello
    public var timings: LinkTimings
}

/// The controller: brings agents up on hosts, runs tasks on them, and takes
/// them down.
///
/// Links are served by one event loop on a thread of its own; SSH handshakes
/// and bootstraps run on short-lived threads (blocking libssh2 calls never run
/// on the concurrency pool). The async API is safe to call from any task.
public final class Controller: Sendable {
    public let options: ControllerOptions
    private let image: AgentImage
    private let agentPath: String
    private let logger: Logger
    private let loop: EventLoop
    private let core: LoopConfined<ControllerCore>
    private let knownHosts = KnownHostsStore()
    private let nextNode = Atomic<UInt32>(1)
    private let nextStream = Atomic<UInt32>(1)
    private let warnings = Mutex<[String]>([])
    /// Signalled once the loop thread has stopped and released every session.
    private let loopFinished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - agentPath: the agent executable (see `AgentLocator`).
    public init(options: ControllerOptions, agentPath: String, logger: Logger) throws {
        self.options = options
        self.agentPath = agentPath
        self.image = try AgentLocator.loadImage(at: agentPath)
        self.logger = logger
        let loop = try EventLoop()
        self.loop = loop
        self.core = LoopConfined(ControllerCore(loop: loop, logger: logger, keepaliveInterval: options.keepaliveInterval))
        let core = self.core
        let finished = loopFinished
        OSThread.detach(name: "rhizome-loop") {
            loop.run()
            // Sessions are freed here, on the thread that used them, before
            // anyone can let the process exit under them.
            core.value.releaseAll()
            finished.signal()
        }
        loop.execute { core.value.startKeepalives() }
    }

    /// Warnings produced so far (host keys accepted without checking, …).
    public var collectedWarnings: [String] { warnings.withLock { $0 } }

    // MARK: Connecting

    /// Brings up an agent on `host`. Never throws: an unreachable host is an outcome.
    public func connect(_ host: ResolvedHost) async -> Result<AgentHandle, HostUnreachable> {
        if let hop = host.hops.first {
            return .failure(HostUnreachable(host: host.name, reason: "\(host.name) is reached through \(hop.name); hops are not supported by this build yet"))
        }
        let node = NodeID(nextNode.add(1, ordering: .relaxed).oldValue)
        let welcome = Welcome(node: node, parent: .controller, keepaliveInterval: UInt32(options.keepaliveInterval))
        switch host.connection.kind {
        case .local: return await connectLocal(host, welcome: welcome)
        case .ssh: return await connectSSH(host, welcome: welcome)
        }
    }

    private func connectSSH(_ host: ResolvedHost, welcome: Welcome) async -> Result<AgentHandle, HostUnreachable> {
        let spec = host.connection
        let user = spec.user ?? options.user ?? Self.localUserName()
        let target = LinkTarget(name: host.name, address: spec.address, port: spec.port, user: user,
                                connectTimeout: spec.connectTimeout ?? options.connectTimeout,
                                operationTimeout: options.operationTimeout)
        let knownHostsPath = Self.expandTilde(spec.knownHostsFile ?? options.knownHostsFile ?? "~/.ssh/known_hosts")
        let policy = options.policyOverride ?? spec.hostKeyChecking.flatMap { HostKeyPolicy(rawValue: $0.rawValue) } ?? options.hostKeyPolicy
        let methods = authenticationMethods(for: spec)
        let bootstrap = AgentBootstrap(image: image, welcome: welcome)
        let known = knownHosts.load(knownHostsPath)
        let store = knownHosts
        let logger = self.logger

        let established: Result<Transferable<EstablishedLink>, LinkSetupError> = await withCheckedContinuation { continuation in
            OSThread.detach(name: "rhizome-link") {
                do throws(LinkSetupError) {
                    let link = try LinkSetup.establish(target: target, knownHosts: known, policy: policy,
                                                       authentication: methods, bootstrap: bootstrap)
                    continuation.resume(returning: .success(Transferable(link)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch established {
        case .failure(let error):
            logger.debug("link setup failed", metadata: ["host": "\(host.name)", "phase": "\(error.phase.rawValue)"])
            return .failure(HostUnreachable(host: host.name, reason: "\(error.phase.rawValue) failed: \(error.message)"))
        case .success(let box):
            let link = box.value
            switch link.hostKey {
            case .known: break
            case .accepted(let line):
                do {
                    try store.remember(line, in: knownHostsPath)
                    logger.notice("accepted new host key", metadata: ["host": "\(host.name)", "known_hosts": "\(knownHostsPath)"])
                } catch {
                    logger.warning("cannot record host key: \(error)", metadata: ["host": "\(host.name)"])
                }
            case .unchecked(let warning):
                warnings.withLock { $0.append("\(host.name): \(warning)") }
                logger.warning("\(warning)", metadata: ["host": "\(host.name)"])
            }
            let handle = AgentHandle(host: host.name, node: welcome.node, hello: link.hello, timings: link.timings)
            let transport = Transferable(SSHChannelTransport(channel: link.channel, keepaliveInterval: options.keepaliveInterval))
            let statistics = (sent: link.bootstrapBytesSent, received: link.bootstrapBytesReceived)
            let leftover = link.leftover
            let core = core
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                loop.execute {
                    core.value.attach(handle: handle, transport: transport.value, leftover: leftover,
                                      bootstrapBytes: statistics.sent)
                    continuation.resume()
                }
            }
            return .success(handle)
        }
    }

    private func connectLocal(_ host: ResolvedHost, welcome: Welcome) async -> Result<AgentHandle, HostUnreachable> {
        let path = agentPath
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let start = Clock.seconds()
        let started: Result<Transferable<LocalAgent>, any Error> = await withCheckedContinuation { continuation in
            OSThread.detach(name: "rhizome-local") {
                do {
                    let agent = try LocalAgent.start(executable: path, welcome: welcome, environment: environment)
                    continuation.resume(returning: .success(Transferable(agent)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch started {
        case .failure(let error):
            return .failure(HostUnreachable(host: host.name, reason: "cannot start a local agent: \(error)"))
        case .success(let box):
            var timings = LinkTimings()
            timings.bootstrap = Clock.seconds() - start
            let handle = AgentHandle(host: host.name, node: welcome.node, hello: box.value.hello, timings: timings)
            let transport = Transferable(box.value.makeTransport())
            let leftover = box.value.leftover
            let core = core
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                loop.execute {
                    core.value.attach(handle: handle, transport: transport.value, leftover: leftover, bootstrapBytes: 0)
                    continuation.resume()
                }
            }
            return .success(handle)
        }
    }

    private func authenticationMethods(for spec: ConnectionSpec) -> [AuthMethod] {
        var methods: [AuthMethod] = []
        let explicit = spec.identityFiles + options.identityFiles
        // With explicit keys, offer those first: an agent full of keys can
        // exhaust the server's MaxAuthTries before the right one is tried.
        let files = explicit.isEmpty
            ? ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"].map(Self.expandTilde)
                .filter { FileManager.default.fileExists(atPath: $0) }
            : explicit.map(Self.expandTilde)
        var seen = Set<String>()
        let fileMethods = files.filter { seen.insert($0).inserted }.map { AuthMethod.identityFile(path: $0, passphrase: options.passphrase) }
        if explicit.isEmpty {
            methods.append(.agent)
            methods += fileMethods
        } else {
            methods += fileMethods
            methods.append(.agent)
        }
        if let password = spec.password { methods.append(.password(password)) }
        return methods
    }

    // MARK: Tasks

    /// Runs `request` on the agent of `handle` and waits for its result.
    public func run(_ request: RunTask, on handle: AgentHandle) async -> TaskOutcome {
        let stream = nextStream.add(1, ordering: .relaxed).oldValue
        let core = core
        let start = Clock.seconds()
        var outcome: TaskOutcome = await withCheckedContinuation { continuation in
            loop.execute {
                core.value.start(request, on: handle, stream: stream, continuation: continuation)
            }
        }
        outcome.elapsed = Clock.seconds() - start
        return outcome
    }

    /// Round-trip time of a ping to the agent, in seconds; nil if the link is gone.
    public func ping(_ handle: AgentHandle) async -> Double? {
        let core = core
        let start = Clock.seconds()
        let answered: Bool = await withCheckedContinuation { continuation in
            loop.execute { core.value.ping(handle.node, continuation: continuation) }
        }
        return answered ? Clock.seconds() - start : nil
    }

    /// Link counters of every connected agent.
    public func statistics() async -> [NodeID: LinkStatistics] {
        let core = core
        return await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: core.value.statistics()) }
        }
    }

    /// Asks every agent to exit, waits briefly for them, stops the loop and
    /// waits until its thread has released every link. Call it once, last.
    public func shutdown(timeout: Double = 5) async {
        let core = core
        let loop = loop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                core.value.shutdown(timeout: timeout) {
                    continuation.resume()
                }
            }
        }
        loop.stop()
        let finished = loopFinished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            OSThread.detach(name: "rhizome-join") {
                finished.wait()
                continuation.resume()
            }
        }
    }

    // MARK: Helpers

    static func expandTilde(_ path: String) -> String {
        guard path.hasPrefix("~/") else { return path }
        return NSHomeDirectory() + String(path.dropFirst(1))
    }

    static func localUserName() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
    }
}

/// Moves a non-Sendable value between threads when ownership is handed over
/// completely (a session built on one thread, then used only by the loop).
struct Transferable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A value only touched on the event loop thread.
final class LoopConfined<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
