import RhizomeIO
import RhizomeResolver
import RhizomeSSH
import RhizomeWire

/// Where one SSH link goes.
public struct LinkTarget: Sendable, Hashable {
    /// Inventory name, for messages.
    public var name: String
    /// The host as written (a name or a numeric address); resolved where the link starts.
    public var address: String
    public var port: Int
    public var user: String
    /// Seconds for the TCP connect.
    public var connectTimeout: Double
    /// Seconds for each blocking step after it (key exchange, auth, bootstrap).
    public var operationTimeout: Double
    /// HostKeyAlias and CheckHostIP; the name looked up is `address`.
    public var hostKeyAlias: String?
    public var checkHostIP: Bool
    /// Who resolves `address` when it is a name: the system on the controller, c-ares on a relay.
    public var lookup: NameLookup

    public init(name: String, address: String, port: Int = 22, user: String, connectTimeout: Double = 10,
                operationTimeout: Double = 30, hostKeyAlias: String? = nil, checkHostIP: Bool = false,
                lookup: NameLookup = .system) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.hostKeyAlias = hostKeyAlias
        self.checkHostIP = checkHostIP
        self.lookup = lookup
    }

    /// How known_hosts names this target.
    public var hostKeyName: HostKeyName {
        HostKeyName(name: address, alias: hostKeyAlias, checkHostIP: checkHostIP)
    }
}

/// How long each phase of bringing a link up took, in seconds.
public struct LinkTimings: Sendable, Hashable {
    /// TCP connect plus SSH key exchange.
    public var handshake: Double = 0
    public var authentication: Double = 0
    /// Stage, image upload, agent start, Hello/Welcome.
    public var bootstrap: Double = 0

    public init(handshake: Double = 0, authentication: Double = 0, bootstrap: Double = 0) {
        self.handshake = handshake
        self.authentication = authentication
        self.bootstrap = bootstrap
    }

    public var total: Double { handshake + authentication + bootstrap }
}

/// A link with an agent at its far end, still owned by the thread that made it.
public struct EstablishedLink {
    public var session: SSHSession
    public var channel: SSHChannel
    public var hello: Hello
    public var leftover: [UInt8]
    public var timings: LinkTimings
    public var hostKey: HostKeyOutcome
    public var bootstrapBytesSent: Int
    public var bootstrapBytesReceived: Int
}

/// Why a link could not be set up, with the phase it failed in.
public struct LinkSetupError: Error, Sendable, CustomStringConvertible {
    public enum Phase: String, Sendable { case connect, hostKey = "host key", authentication, bootstrap }
    public var phase: Phase
    public var target: String
    public var message: String
    /// The SSH error code, when the failure came from SSH.
    public var code: SSHError.Code?

    public var description: String { "\(target): \(message)" }

    public init(phase: Phase, target: String, message: String, code: SSHError.Code?) {
        self.phase = phase
        self.target = target
        self.message = message
        self.code = code
    }
}

/// Opens an SSH link and brings up an agent at its end: connect, key exchange,
/// host-key check, authentication, bootstrap. Blocking; run it on a thread of
/// its own. Relays use the same code for the hops below them.
public enum LinkSetup {
    /// An authenticated session with no agent yet (what a tunnel goes through).
    public struct OpenedSession {
        public var session: SSHSession
        public var hostKey: HostKeyOutcome
        public var timings: LinkTimings
    }

    /// Connect (or use `socket`), key exchange, host-key check, authentication.
    public static func openSession(
        target: LinkTarget,
        knownHosts: KnownHosts,
        policy: HostKeyPolicy,
        authentication: [AuthMethod],
        socket: CInt? = nil
    ) throws(LinkSetupError) -> OpenedSession {
        var timings = LinkTimings()
        var start = Clock.seconds()
        let session: SSHSession
        do {
            let types = target.hostKeyAlias.map { knownHosts.keyTypes(name: $0) }
                ?? knownHosts.keyTypes(host: target.address, port: target.port)
            if let socket {
                session = try SSHSession(socket: socket, host: target.address, port: target.port,
                                         operationTimeout: target.operationTimeout, hostKeyTypes: types)
            } else {
                session = try SSHSession(host: target.address, port: target.port, connectTimeout: target.connectTimeout,
                                         operationTimeout: target.operationTimeout, hostKeyTypes: types,
                                         lookup: target.lookup)
            }
        } catch {
            throw failure(.connect, error, target)
        }
        timings.handshake = Clock.seconds() - start

        let outcome: HostKeyOutcome
        do {
            outcome = try session.verifyHostKey(knownHosts: knownHosts, policy: policy, name: target.hostKeyName)
        } catch {
            throw failure(.hostKey, error, target)
        }

        start = Clock.seconds()
        do {
            try session.authenticate(user: target.user, methods: authentication)
        } catch {
            throw failure(.authentication, error, target)
        }
        timings.authentication = Clock.seconds() - start
        return OpenedSession(session: session, hostKey: outcome, timings: timings)
    }

    /// Opens the session and brings up an agent at its end.
    public static func establish(
        target: LinkTarget,
        knownHosts: KnownHosts,
        policy: HostKeyPolicy,
        authentication: [AuthMethod],
        bootstrap: AgentBootstrap,
        socket: CInt? = nil
    ) throws(LinkSetupError) -> EstablishedLink {
        let opened = try openSession(target: target, knownHosts: knownHosts, policy: policy,
                                     authentication: authentication, socket: socket)
        var timings = opened.timings
        let start = Clock.seconds()
        let result: AgentBootstrap.Outcome
        do {
            result = try bootstrap.run(on: opened.session)
        } catch {
            throw failure(.bootstrap, error, target)
        }
        timings.bootstrap = Clock.seconds() - start
        return EstablishedLink(session: opened.session, channel: result.channel, hello: result.hello, leftover: result.leftover,
                               timings: timings, hostKey: opened.hostKey, bootstrapBytesSent: result.bytesSent,
                               bootstrapBytesReceived: result.bytesReceived)
    }

    static func failure(_ phase: LinkSetupError.Phase, _ error: any Error, _ target: LinkTarget) -> LinkSetupError {
        let label = "\(target.name) (\(target.user)@\(target.address):\(target.port))"
        if let ssh = error as? SSHError {
            return LinkSetupError(phase: phase, target: label, message: ssh.message, code: ssh.code)
        }
        if let boot = error as? BootstrapError {
            return LinkSetupError(phase: phase, target: label, message: boot.message, code: nil)
        }
        return LinkSetupError(phase: phase, target: label, message: "\(error)", code: nil)
    }
}
