import Foundation
import Logging
import RhizomeIO
import RhizomeInventory
import RhizomeMesh
import RhizomeSSH
import RhizomeStore
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
    /// Bring-ups in progress or done, by inventory name: hosts that share a hop share its node.
    private let bringUps = Mutex<[String: Task<Result<AgentHandle, HostUnreachable>, Never>]>([:])
    private let signerFactory: SignerFactory?
    private let slots: SetupSlots
    /// Agent-less sessions to bastions used in tunnel mode, by inventory name.
    private let tunnels = Mutex<[String: Task<Result<TunnelHost, HostUnreachable>, Never>]>([:])
    private let signers = SignerRegistry()
    /// Every node brought up, with its parent (controller for first hops).
    private let tree = Mutex<[(handle: AgentHandle, parent: NodeID)]>([])
    /// Set-up times of the sessions to tunnel hops, by inventory name.
    private let tunnelTimings = Mutex<[String: LinkTimings]>([:])

    /// - Parameters:
    ///   - agentPath: the agent executable (see `AgentLocator`).
    ///   - signerFactory: makes signers for authentication done by relays; without
    ///     one, hops behind a relay can only use passwords.
    public init(options: ControllerOptions, agentPath: String, logger: Logger, signerFactory: SignerFactory? = nil) throws {
        // A peer that goes away must be an error on that link, not the end of
        // the process: writes to closed sockets return EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        LibCrypto.keepUntilExit()
        self.signerFactory = signerFactory
        self.slots = SetupSlots(limit: options.forks)
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
        let signers = signers
        loop.execute {
            core.value.startKeepalives()
            core.value.signatures = { publicKey, data, reply in
                // ssh-agent round trips block briefly: off the loop thread.
                OSThread.detach(name: "rhizome-sign") {
                    let candidates = signers.all
                    guard let signer = candidates.first(where: { $0.offeredKeys.contains { $0.blob == publicKey } }) else {
                        return reply(SignResponse(error: "the controller holds no such key"))
                    }
                    do {
                        reply(SignResponse(signature: try signer.sign(publicKey: publicKey, data: data)))
                    } catch {
                        reply(SignResponse(error: "\(error)"))
                    }
                }
            }
        }
    }

    /// Every node brought up so far, with its parent node.
    public var nodes: [(handle: AgentHandle, parent: NodeID)] { tree.withLock { $0 } }

    /// Tunnel hops opened so far (bastions passed through without an agent), with their set-up times.
    public var tunnelHops: [String: LinkTimings] { tunnelTimings.withLock { $0 } }

    /// Tells `options.linkEvents` that the link to `host` is being set up, then how it went.
    private func observed<T: TimedLink>(_ host: String, _ body: () async -> Result<T, HostUnreachable>) async -> Result<T, HostUnreachable> {
        guard let report = options.linkEvents else { return await body() }
        report(.connecting(host: host))
        let result = await body()
        switch result {
        case .success(let value):
            report(.up(host: host, timings: value.timings))
        case .failure(let error):
            report(.failed(error))
        }
        return result
    }

    /// Warnings produced so far (host keys accepted without checking, …).
    public var collectedWarnings: [String] { warnings.withLock { $0 } }

    // MARK: Connecting

    /// Brings up an agent on `host`, and on every hop in front of it first.
    /// Never throws: an unreachable host is an outcome.
    public func connect(_ host: ResolvedHost) async -> Result<AgentHandle, HostUnreachable> {
        let chain = host.hops.map { Step(name: $0.name, spec: $0.connection) } + [Step(name: host.name, spec: host.connection)]
        switch await node(for: chain[...]) {
        case .success(let handle): return .success(handle)
        case .failure(let error):
            return .failure(HostUnreachable(host: host.name, reason: error.reason, hop: error.hop, cause: error.cause))
        }
    }

    /// One link of a hop chain.
    struct Step: Sendable {
        var name: String
        var spec: ConnectionSpec
    }

    /// The node at the end of `chain`, brought up once however many hosts need it.
    private func node(for chain: ArraySlice<Step>) async -> Result<AgentHandle, HostUnreachable> {
        guard let step = chain.last else { return .failure(HostUnreachable(host: "?", reason: "empty hop chain")) }
        let task = bringUps.withLock { tasks in
            if let existing = tasks[step.name] { return existing }
            let created = Task { await self.bringUp(chain) }
            tasks[step.name] = created
            return created
        }
        return await task.value
    }

    private func bringUp(_ chain: ArraySlice<Step>) async -> Result<AgentHandle, HostUnreachable> {
        let step = chain.last!
        let node = NodeID(nextNode.add(1, ordering: .relaxed).oldValue)
        guard chain.count > 1 else {
            let welcome = Welcome(node: node, parent: .controller, keepaliveInterval: UInt32(options.keepaliveInterval),
                                  payloadCacheBytes: options.payloadCacheBytes)
            let result: Result<AgentHandle, HostUnreachable> = await slots.with(under: .controller) {
                await observed(step.name) {
                    switch step.spec.kind {
                    case .local: return await connectLocal(step, welcome: welcome)
                    case .ssh: return await connectSSH(step, welcome: welcome)
                    }
                }
            }
            if case .success(let handle) = result { tree.withLock { $0.append((handle, .controller)) } }
            return result
        }
        if (options.viaModeOverride ?? step.spec.viaMode) == .tunnel {
            switch await tunnelHost(for: chain.dropLast()) {
            case .failure(let error):
                return .failure(error.seen(from: step.name))
            case .success(let bastion):
                let welcome = Welcome(node: node, parent: .controller, keepaliveInterval: UInt32(options.keepaliveInterval),
                                      payloadCacheBytes: options.payloadCacheBytes)
                let result = await slots.with(under: .controller) {
                    await observed(step.name) { await connectSSH(step, welcome: welcome, through: bastion) }
                }
                if case .success(let handle) = result { tree.withLock { $0.append((handle, .controller)) } }
                return result
            }
        }
        switch await self.node(for: chain.dropLast()) {
        case .failure(let error):
            return .failure(error.seen(from: step.name))
        case .success(let parent):
            let result = await slots.with(under: parent.node) {
                await observed(step.name) { await spawnRelayed(step, node: node, under: parent) }
            }
            if case .success(let handle) = result { tree.withLock { $0.append((handle, parent.node)) } }
            return result
        }
    }

    /// An agent-less session to the hop at the end of `chain`, for tunnel mode:
    /// opened directly for a first hop, else through the tunnel before it.
    private func tunnelHost(for chain: ArraySlice<Step>) async -> Result<TunnelHost, HostUnreachable> {
        guard let step = chain.last else { return .failure(HostUnreachable(host: "?", reason: "empty hop chain")) }
        let task = tunnels.withLock { tasks in
            if let existing = tasks[step.name] { return existing }
            let created = Task { () -> Result<TunnelHost, HostUnreachable> in
                var through: TunnelHost?
                if chain.count > 1 {
                    switch await self.tunnelHost(for: chain.dropLast()) {
                    case .failure(let error):
                        return .failure(error.seen(from: step.name))
                    case .success(let host): through = host
                    }
                }
                return await self.slots.with(under: .controller) {
                    await self.observed(step.name) { await self.openTunnelHost(step, through: through) }
                }
            }
            tasks[step.name] = created
            return created
        }
        return await task.value
    }

    private func openTunnelHost(_ step: Step, through: TunnelHost?) async -> Result<TunnelHost, HostUnreachable> {
        let spec = step.spec
        let target = LinkTarget(name: step.name, address: spec.address, port: spec.port,
                                user: spec.user ?? options.user ?? Self.localUserName(),
                                connectTimeout: spec.connectTimeout ?? options.connectTimeout,
                                operationTimeout: options.operationTimeout,
                                hostKeyAlias: spec.hostKeyAlias, checkHostIP: spec.checkHostIP)
        let knownHostsPath = Self.expandTilde(spec.knownHostsFile ?? options.knownHostsFile ?? "~/.ssh/known_hosts")
        let known = knownHosts.load(knownHostsPath)
        let policy = hostKeyPolicy(for: spec)
        let opened: Result<Transferable<LinkSetup.OpenedSession>, LinkSetupError> = await withCheckedContinuation { continuation in
            OSThread.detach(name: "rhizome-bastion") {
                let methods = self.authenticationMethods(for: spec)
                do throws(LinkSetupError) {
                    let socket = try through?.socket(for: target)
                    let session = try LinkSetup.openSession(target: target, knownHosts: known, policy: policy,
                                                            authentication: methods, socket: socket)
                    continuation.resume(returning: .success(Transferable(session)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch opened {
        case .failure(let error):
            return .failure(unreachable(step.name, error, through: through))
        case .success(let box):
            recordHostKey(box.value.hostKey, host: step.name, knownHostsPath: knownHostsPath)
            let timings = box.value.timings
            tunnelTimings.withLock { $0[step.name] = timings }
            do {
                return .success(try TunnelHost(session: Transferable(box.value.session), name: step.name, timings: timings))
            } catch {
                return .failure(HostUnreachable(host: step.name, reason: "cannot start a tunnel: \(error)"))
            }
        }
    }

    /// A link set-up failure as the host it concerns sees it. A tunnel whose session to the
    /// bastion is gone is the bastion's failure, not the host's.
    private func unreachable(_ name: String, _ error: LinkSetupError, through tunnel: TunnelHost?) -> HostUnreachable {
        if let tunnel, error.phase == .connect, error.code == .closed {
            return HostUnreachable(host: name, reason: "through \(tunnel.name): \(error.message)", hop: tunnel.name,
                                   cause: .linkLost)
        }
        return HostUnreachable(host: name, reason: "\(error.phase.rawValue) failed: \(error.message)", cause: error.cause)
    }

    private func recordHostKey(_ outcome: HostKeyOutcome, host: String, knownHostsPath: String) {
        switch outcome {
        case .known: break
        case .accepted(let line):
            do {
                try knownHosts.remember(line, in: knownHostsPath)
                logger.notice("accepted new host key", metadata: ["host": "\(host)", "known_hosts": "\(knownHostsPath)"])
            } catch {
                logger.warning("cannot record host key: \(error)", metadata: ["host": "\(host)"])
            }
        case .unchecked(let warning):
            warnings.withLock { $0.append("\(host): \(warning)") }
            logger.warning("\(warning)", metadata: ["host": "\(host)"])
        }
    }

    /// Has `parent`'s agent open the link to `step` and start an agent there.
    private func spawnRelayed(_ step: Step, node: NodeID, under parent: AgentHandle) async -> Result<AgentHandle, HostUnreachable> {
        let spec = step.spec
        let user = spec.user ?? options.user ?? Self.localUserName()
        let knownHostsPath = Self.expandTilde(spec.knownHostsFile ?? options.knownHostsFile ?? "~/.ssh/known_hosts")
        let policy = hostKeyPolicy(for: spec)
        // The name goes as written: the relay resolves it with its own files, and
        // known_hosts is matched on it there, as OpenSSH would on the relay.
        let address = spec.address
        var keys: [(blob: [UInt8], label: String)] = []
        var signerError: String?
        if let signerFactory {
            let files = identityFiles(for: spec)
            do {
                let signer = try signers.signer(for: files, make: signerFactory)
                keys = signer.offeredKeys
            } catch {
                signerError = "\(error)"
            }
        } else {
            signerError = "this run has no key signer for hops behind relays"
        }
        if keys.isEmpty && spec.password == nil {
            return .failure(HostUnreachable(host: step.name, reason: "authentication failed (via \(parent.host)): no key to offer"
                                                + (signerError.map { ": \($0)" } ?? ""), cause: .authRefused))
        }
        let known = knownHosts.load(knownHostsPath)
        // Under CheckHostIP the relay also looks up an address only it learns; hashed names keep
        // us from picking its lines out, so it gets them all.
        let selected = spec.checkHostIP ? known.allEntryLines
            : spec.hostKeyAlias.map { known.lines(for: $0, port: 22) } ?? known.lines(for: address, port: spec.port)
        let request = SpawnChild(
            node: node, name: step.name, address: address, port: UInt16(clamping: spec.port), user: user,
            knownHostsLines: selected.lines,
            knownHostsSource: knownHostsPath,
            hostKeyPolicy: policy == .strict ? 0 : (policy == .acceptNew ? 1 : 2),
            publicKeys: keys.map(\.blob), publicKeyLabels: keys.map(\.label), password: spec.password,
            connectTimeout: spec.connectTimeout ?? options.connectTimeout, operationTimeout: options.operationTimeout,
            keepaliveInterval: UInt32(options.keepaliveInterval), payloadCacheBytes: options.payloadCacheBytes,
            knownHostsLineNumbers: selected.numbers.map { UInt32(clamping: $0) }, hostKeyAlias: spec.hostKeyAlias,
            checkHostIP: spec.checkHostIP)
        let core = core
        let outcome: SpawnOutcome = await withCheckedContinuation { continuation in
            loop.execute { core.value.spawn(request, via: parent.node, continuation: continuation) }
        }
        switch outcome {
        case .down(let phase, let reason, let cause):
            let label = phase == "link" ? "" : "\(phase) failed "
            // A link lost while the child came up is the relay's (or a hop above it): the child was never reached.
            return .failure(HostUnreachable(host: step.name, reason: "\(label)(via \(parent.host)): \(reason)",
                                            hop: cause == .linkLost ? parent.host : nil, cause: cause))
        case .up(let up):
            // The relay checked the key against our lines; what it admitted or
            // let through unchecked is recorded here, as for a direct link.
            let outcome: HostKeyOutcome = !up.acceptedHostKeyLine.isEmpty ? .accepted(line: up.acceptedHostKeyLine)
                : (!up.warning.isEmpty ? .unchecked(warning: up.warning) : .known)
            recordHostKey(outcome, host: step.name, knownHostsPath: knownHostsPath)
            return .success(AgentHandle(host: step.name, node: node, hello: up.hello,
                                        timings: LinkTimings(handshake: up.handshake, authentication: up.authentication,
                                                             bootstrap: up.bootstrap)))
        }
    }

    private func hostKeyPolicy(for spec: ConnectionSpec) -> HostKeyPolicy {
        options.policyOverride ?? spec.hostKeyChecking.flatMap { HostKeyPolicy(rawValue: $0.rawValue) } ?? options.hostKeyPolicy
    }

    /// Identity files for a host: the inventory's and the command line's, else the usual defaults.
    private func identityFiles(for spec: ConnectionSpec) -> [String] {
        let explicit = spec.identityFiles + options.identityFiles
        let files = explicit.isEmpty
            ? ["~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"].map(Self.expandTilde)
                .filter { FileManager.default.fileExists(atPath: $0) }
            : explicit.map(Self.expandTilde)
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }

    private func connectSSH(_ host: Step, welcome: Welcome, through tunnel: TunnelHost? = nil) async -> Result<AgentHandle, HostUnreachable> {
        let spec = host.spec
        let user = spec.user ?? options.user ?? Self.localUserName()
        let target = LinkTarget(name: host.name, address: spec.address, port: spec.port, user: user,
                                connectTimeout: spec.connectTimeout ?? options.connectTimeout,
                                operationTimeout: options.operationTimeout,
                                hostKeyAlias: spec.hostKeyAlias, checkHostIP: spec.checkHostIP)
        let knownHostsPath = Self.expandTilde(spec.knownHostsFile ?? options.knownHostsFile ?? "~/.ssh/known_hosts")
        let policy = hostKeyPolicy(for: spec)
        let bootstrap = AgentBootstrap(image: image, welcome: welcome, cache: options.targetCache(for: spec).map {
            TargetCacheSettings(directory: $0.directory, limit: $0.limit, agentDigest: image.digest.hex)
        })
        let known = knownHosts.load(knownHostsPath)
        let logger = self.logger

        let established: Result<Transferable<EstablishedLink>, LinkSetupError> = await withCheckedContinuation { continuation in
            OSThread.detach(name: "rhizome-link") {
                let methods = self.authenticationMethods(for: spec)
                do throws(LinkSetupError) {
                    let socket = try tunnel?.socket(for: target)
                    let link = try LinkSetup.establish(target: target, knownHosts: known, policy: policy,
                                                       authentication: methods, bootstrap: bootstrap, socket: socket)
                    continuation.resume(returning: .success(Transferable(link)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch established {
        case .failure(let error):
            logger.debug("link setup failed", metadata: ["host": "\(host.name)", "phase": "\(error.phase.rawValue)"])
            return .failure(unreachable(host.name, error, through: tunnel))
        case .success(let box):
            let link = box.value
            recordHostKey(link.hostKey, host: host.name, knownHostsPath: knownHostsPath)
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

    private func connectLocal(_ host: Step, welcome: Welcome) async -> Result<AgentHandle, HostUnreachable> {
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

    /// How the controller logs in to a host it reaches itself. With a signer, the same way
    /// relays do: each key the signer offers, signed by its ssh-agent, so every key type
    /// (RSA with SHA-2 signatures too) works the same direct and relayed. Blocks while the
    /// signer starts (ssh-add, perhaps a passphrase prompt): call it off the shared pool.
    private func authenticationMethods(for spec: ConnectionSpec) -> [AuthMethod] {
        if let signerFactory {
            do {
                let signer = try signers.signer(for: identityFiles(for: spec), make: signerFactory)
                var methods = signer.offeredKeys.map { key in
                    AuthMethod.signer(PublicKeySigner(blob: key.blob, label: key.label) { data in
                        try signer.sign(publicKey: key.blob, data: data)
                    })
                }
                if let password = spec.password { methods.append(.password(password)) }
                return methods
            } catch {
                // libssh2's own key loading and agent use still get their chance (and name the file).
                logger.debug("no key signer for a direct login: \(error)")
            }
        }
        var methods: [AuthMethod] = []
        let explicit = spec.identityFiles + options.identityFiles
        let fileMethods = identityFiles(for: spec).map { AuthMethod.identityFile(path: $0, passphrase: options.passphrase) }
        // With explicit keys, offer those first: an agent full of keys can
        // exhaust the server's MaxAuthTries before the right one is tried.
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

    // MARK: Payloads

    /// Makes a local file available to agents as a payload; returns its name.
    /// The file is read twice: once now for its SHA-256, and in chunks as
    /// agents ask for it (never whole into memory).
    public func addPayload(file path: String) throws -> (digest: Digest, size: UInt64) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        let hasher = SHA256Stream()
        var size: UInt64 = 0
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data)
            size += UInt64(data.count)
        }
        let digest = hasher.finalize()
        let reader = PayloadFile(handle: handle)
        register(digest, PayloadSource(size: size) { offset, length in try reader.read(offset: offset, length: length) })
        return (digest, size)
    }

    /// Makes bytes (rendered content) available to agents as a payload.
    public func addPayload(bytes: [UInt8]) -> (digest: Digest, size: UInt64) {
        let digest = Digest.sha256(bytes)
        register(digest, PayloadSource(size: UInt64(bytes.count)) { offset, length in
            Array(bytes[Int(offset) ..< Int(offset) + length])
        })
        return (digest, UInt64(bytes.count))
    }

    private func register(_ digest: Digest, _ source: PayloadSource) {
        let core = core
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            core.value.payloads.addSource(digest, source)
            done.signal()
        }
        done.wait()
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

    /// Cuts the run short (SIGINT): every running task is cancelled on its
    /// agent, which kills its process group and reports what it printed;
    /// tasks asked for from now on do not start. A task whose result has not
    /// come within `grace` seconds ends as failed without one.
    public func cancelAll(reason: String, grace: Double = 3) {
        let core = core
        loop.execute { core.value.cancelAll(reason: reason, grace: grace) }
    }

    /// Round-trip time of a ping to the agent, in seconds; nil if the link is gone, or
    /// if no answer came within `timeout` seconds (nil: wait as long as the link is up).
    public func ping(_ handle: AgentHandle, timeout: Double? = nil) async -> Double? {
        let core = core
        let start = Clock.seconds()
        let answered: Bool = await withCheckedContinuation { continuation in
            loop.execute { core.value.ping(handle.node, timeout: timeout, continuation: continuation) }
        }
        return answered ? Clock.seconds() - start : nil
    }

    /// Counters of the links the controller holds itself (to first hops).
    public func firstHopStatistics() async -> [NodeID: LinkStatistics] {
        let core = core
        return await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: core.value.firstHopStatistics()) }
        }
    }

    /// Runs `body` on the loop thread with the core and returns its result.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (ControllerCore) -> T) async -> T {
        let core = core
        return await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: body(core.value)) }
        }
    }

    /// A relay's figures of the links to its children (empty for a leaf or a lost node).
    public func relayStatistics(_ node: NodeID) async -> [LinkReport] {
        let core = core
        return await withCheckedContinuation { continuation in
            loop.execute { core.value.relayStatistics(node, continuation: continuation) }
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
        for signer in signers.all { signer.close() }
        var hosts: [TunnelHost] = []
        for task in tunnels.withLock({ Array($0.values) }) {
            if case .success(let host) = await task.value { hosts.append(host) }
        }
        let finished = loopFinished
        let tunnelHosts = hosts
        // Both waits block: they run on a thread of their own.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            OSThread.detach(name: "rhizome-join") {
                for host in tunnelHosts { host.close(timeout: timeout) }
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


/// A file read in chunks by the payload service, from the loop thread.
final class PayloadFile: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(handle: FileHandle) {
        self.handle = handle
    }

    func read(offset: UInt64, length: Int) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        try handle.seek(toOffset: offset)
        let data = try handle.read(upToCount: length) ?? Data()
        guard data.count == length else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the file shrank while it was sent"])
        }
        return [UInt8](data)
    }
}

/// Signs authentication challenges for relays with keys the controller holds.
public protocol ChallengeSigner: Sendable {
    /// Public keys to offer, in order, with labels for messages.
    var offeredKeys: [(blob: [UInt8], label: String)] { get }
    /// The SSH signature blob of `data` made with the key `publicKey`.
    func sign(publicKey: [UInt8], data: [UInt8]) throws -> [UInt8]
    func close()
}

/// Makes a signer for a list of identity files (plus the user's ssh-agent).
public typealias SignerFactory = @Sendable (_ identityFiles: [String]) throws -> any ChallengeSigner

/// At most `limit` links being set up at once under each node: the controller's
/// own handshakes, and each relay's spawns (`--forks` per node).
final class SetupSlots: Sendable {
    private struct State {
        var active: [NodeID: Int] = [:]
        var waiting: [NodeID: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func acquire(under parent: NodeID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if state.active[parent, default: 0] < limit {
                    state.active[parent, default: 0] += 1
                    return true
                }
                state.waiting[parent, default: []].append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    func release(under parent: NodeID) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if var queue = state.waiting[parent], !queue.isEmpty {
                let first = queue.removeFirst()
                state.waiting[parent] = queue
                return first
            }
            state.active[parent, default: 1] -= 1
            return nil
        }
        next?.resume()
    }

    /// Runs `body` holding a slot under `parent`.
    func with<T>(under parent: NodeID, _ body: () async -> T) async -> T {
        await acquire(under: parent)
        defer { release(under: parent) }
        return await body()
    }
}

/// Signers made in a run, one per distinct list of identity files.
final class SignerRegistry: Sendable {
    private let cache = Mutex<[[String]: any ChallengeSigner]>([:])

    func signer(for files: [String], make: SignerFactory) throws -> any ChallengeSigner {
        try cache.withLock { cache in
            if let cached = cache[files] { return cached }
            let made = try make(files)
            cache[files] = made
            return made
        }
    }

    var all: [any ChallengeSigner] { cache.withLock { Array($0.values) } }
}

/// A value only touched on the event loop thread.
final class LoopConfined<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A link that is up, with how long it took: an agent, or a tunnel hop's session.
protocol TimedLink: Sendable {
    var timings: LinkTimings { get }
}

extension AgentHandle: TimedLink {}
extension TunnelHost: TimedLink {}

