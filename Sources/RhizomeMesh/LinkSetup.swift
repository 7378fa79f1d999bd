import RhizomeIO
import RhizomeSSH
import RhizomeWire

/// Where one SSH link goes.
public struct LinkTarget: Sendable, Hashable {
    /// Inventory name, for messages.
    public var name: String
    public var address: String
    public var port: Int
    public var user: String
    /// Seconds for the TCP connect.
    public var connectTimeout: Double
    /// Seconds for each blocking step after it (key exchange, auth, bootstrap).
    public var operationTimeout: Double

    public init(name: String, address: String, port: Int = 22, user: String, connectTimeout: Double = 10,
                operationTimeout: Double = 30) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
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
}

/// Opens an SSH link and brings up an agent at its end: connect, key exchange,
/// host-key check, authentication, bootstrap. Blocking; run it on a thread of
/// its own. Relays use the same code for the hops below them.
public enum LinkSetup {
    public static func establish(
        target: LinkTarget,
        knownHosts: KnownHosts,
        policy: HostKeyPolicy,
        authentication: [AuthMethod],
        bootstrap: AgentBootstrap
    ) throws(LinkSetupError) -> EstablishedLink {
        var timings = LinkTimings()
        let label = "\(target.name) (\(target.user)@\(target.address):\(target.port))"
        func fail(_ phase: LinkSetupError.Phase, _ error: any Error) -> LinkSetupError {
            let message: String
            var code: SSHError.Code?
            if let ssh = error as? SSHError {
                message = ssh.message
                code = ssh.code
            } else if let boot = error as? BootstrapError {
                message = boot.message
            } else {
                message = "\(error)"
            }
            return LinkSetupError(phase: phase, target: label, message: message, code: code)
        }

        var start = Clock.seconds()
        let session: SSHSession
        do {
            session = try SSHSession(host: target.address, port: target.port, connectTimeout: target.connectTimeout,
                                     operationTimeout: target.operationTimeout,
                                     hostKeyTypes: knownHosts.keyTypes(host: target.address, port: target.port))
        } catch {
            throw fail(.connect, error)
        }
        timings.handshake = Clock.seconds() - start

        let outcome: HostKeyOutcome
        do {
            outcome = try session.verifyHostKey(knownHosts: knownHosts, policy: policy, name: target.address)
        } catch {
            throw fail(.hostKey, error)
        }

        start = Clock.seconds()
        do {
            try session.authenticate(user: target.user, methods: authentication)
        } catch {
            throw fail(.authentication, error)
        }
        timings.authentication = Clock.seconds() - start

        start = Clock.seconds()
        let result: AgentBootstrap.Outcome
        do {
            result = try bootstrap.run(on: session)
        } catch {
            throw fail(.bootstrap, error)
        }
        timings.bootstrap = Clock.seconds() - start
        return EstablishedLink(session: session, channel: result.channel, hello: result.hello, leftover: result.leftover,
                               timings: timings, hostKey: outcome, bootstrapBytesSent: result.bytesSent,
                               bootstrapBytesReceived: result.bytesReceived)
    }
}
