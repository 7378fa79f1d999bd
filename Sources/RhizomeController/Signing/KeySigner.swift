import Foundation
import RhizomeSSH
import Synchronization

/// Holds the controller's identities and signs with them; never exposes private keys.
///
/// Keys stay in ssh-agents: the user's (at `SSH_AUTH_SOCK`) and, for identity
/// files, a private one the signer starts and `ssh-add`s the files into. Signing
/// is a request to the agent that holds the key, over a connection of its own,
/// so calls may come from any thread.
public final class KeySigner: Sendable {
    /// Identities to offer, in order: identity files first (their blobs), then the user's agent keys.
    public let identities: [SignerIdentity]
    /// Problems that did not stop the signer (a user agent that cannot be reached), worth showing.
    public let warnings: [String]
    /// The signature algorithms RSA keys are offered with, in order (`RHIZOME_RSA_ALGORITHMS`).
    public let rsaAlgorithms: [String]

    /// RSA signatures with SHA-2 first: OpenSSH 8.8 and later refuse `ssh-rsa` (SHA-1) by
    /// default, and some servers (Dropbear) know rsa-sha2-256 only.
    public static let defaultRSAAlgorithms = ["rsa-sha2-512", "rsa-sha2-256"]
    /// Overrides `defaultRSAAlgorithms`: a comma-separated list (add `ssh-rsa` for servers
    /// older than OpenSSH 7.2, which know no other).
    public static let rsaAlgorithmsVariable = "RHIZOME_RSA_ALGORITHMS"

    /// Which agent holds a key, and the name to give it in messages.
    private struct Route: Sendable {
        var socketPath: String
        var label: String
    }

    private struct State: ~Copyable {
        var privateAgent: PrivateAgent?
        var closed = false
    }

    private let routes: [[UInt8]: Route]
    private let state: Mutex<State>
    /// The private agent's process, while it runs (for tests and diagnostics).
    let privateAgentPID: pid_t?
    /// The private agent's socket (for tests and diagnostics).
    let privateAgentSocket: String?

    private init(identities: [SignerIdentity], warnings: [String], rsaAlgorithms: [String], routes: [[UInt8]: Route],
                 privateAgent: PrivateAgent?) {
        self.identities = identities
        self.warnings = warnings
        self.rsaAlgorithms = rsaAlgorithms
        self.routes = routes
        self.privateAgentPID = privateAgent?.agentPID
        self.privateAgentSocket = privateAgent?.socketPath
        self.state = Mutex(State(privateAgent: privateAgent))
    }

    deinit {
        close()
    }

    /// Uses the user's ssh-agent at `SSH_AUTH_SOCK` when set (and `useUserAgent`), plus, for identity
    /// files, a private `ssh-agent` (socket in a 0700 temporary directory) into which each file is
    /// `ssh-add`ed. A file whose public key the user's agent already holds is signed for by that
    /// agent, as ssh does, and needs no passphrase. `passphrase` is asked only for a file that
    /// turns out to be encrypted; the passphrase reaches ssh-add through the environment of its
    /// askpass program, never a file.
    ///
    /// - Parameter environment: where `SSH_AUTH_SOCK`, `PATH`, `TMPDIR` and `RHIZOME_RSA_ALGORITHMS` are read.
    public static func start(identityFiles: [String], useUserAgent: Bool,
                             passphrase: @escaping @Sendable (String) -> String?,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeySignerError) -> KeySigner {
        let rsaAlgorithms = try rsaAlgorithms(from: environment)
        var identities: [SignerIdentity] = []
        var routes: [[UInt8]: Route] = [:]
        var warnings: [String] = []

        var userKeys: [AgentProtocol.Identity] = []
        let userSocket = useUserAgent ? environment["SSH_AUTH_SOCK"].flatMap { $0.isEmpty ? nil : $0 } : nil
        if let userSocket {
            do {
                userKeys = try list(userSocket, label: "ssh-agent")
            } catch {
                warnings.append("\(error); its keys are not offered")
            }
        }
        let userBlobs = Set(userKeys.map(\.blob))

        var privateAgent: PrivateAgent?
        do throws(KeySignerError) {
            var held: Set<[UInt8]> = []
            for file in identityFiles {
                if let userSocket, let blob = PublicKeyBlob.read(identityFile: file), userBlobs.contains(blob) {
                    if routes[blob] == nil {
                        identities.append(SignerIdentity(blob: blob, type: SignerIdentity.keyType(of: blob) ?? "unknown", label: file))
                        routes[blob] = Route(socketPath: userSocket, label: file)
                    }
                    continue
                }
                let agent: PrivateAgent
                if let privateAgent {
                    agent = privateAgent
                } else {
                    agent = try PrivateAgent.start(environment: environment)
                    privateAgent = agent
                    held = Set(try list(agent.socketPath, label: "ssh-agent").map(\.blob))
                }
                try agent.add(file, passphrase: passphrase)
                // What ssh-add added is what the agent holds now and did not before: the
                // file's key (and its certificate, when a -cert.pub file sits next to it).
                // A file repeating an earlier key adds nothing; the key is offered once.
                // The certificate goes first, as ssh offers it: a server that trusts the CA
                // accepts it, and the plain key is often not authorized on its own.
                let now = try list(agent.socketPath, label: file)
                var added: [SignerIdentity] = []
                for key in now where !held.contains(key.blob) && routes[key.blob] == nil {
                    held.insert(key.blob)
                    let type = SignerIdentity.keyType(of: key.blob) ?? "unknown"
                    let isCertificate = type.hasSuffix("-cert-v01@openssh.com")
                    let identity = SignerIdentity(blob: key.blob, type: type, label: isCertificate ? file + "-cert.pub" : file)
                    added.insert(identity, at: isCertificate ? 0 : added.count)
                    routes[key.blob] = Route(socketPath: agent.socketPath, label: identity.label)
                }
                identities += added
            }
        } catch {
            privateAgent?.stop()
            throw error
        }

        if let userSocket {
            for key in userKeys where routes[key.blob] == nil {
                let type = SignerIdentity.keyType(of: key.blob) ?? "unknown"
                let label = key.comment.isEmpty ? "\(type) key of the ssh-agent at \(userSocket)" : key.comment
                identities.append(SignerIdentity(blob: key.blob, type: type, label: label))
                routes[key.blob] = Route(socketPath: userSocket, label: label)
            }
        }
        return KeySigner(identities: identities, warnings: warnings, rsaAlgorithms: rsaAlgorithms, routes: routes,
                         privateAgent: privateAgent)
    }

    /// `RHIZOME_RSA_ALGORITHMS`, checked, else the default.
    private static func rsaAlgorithms(from environment: [String: String]) throws(KeySignerError) -> [String] {
        guard let value = environment[rsaAlgorithmsVariable], !value.isEmpty else { return defaultRSAAlgorithms }
        let names = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known = PublicKeyBlob.rsaAlgorithms
        guard !names.isEmpty, names.allSatisfy(known.contains) else {
            throw KeySignerError(.invalidSetting, subject: rsaAlgorithmsVariable,
                                 "'\(value)' is not a comma-separated list of \(known.joined(separator: ", "))")
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The logins to try, in order, as `(blob, label)`: each identity's blob, except that an RSA
    /// key is offered once per `rsaAlgorithms` entry, its blob renamed to that algorithm
    /// (`PublicKeyBlob` says why). `sign(blob:data:)` accepts each of these blobs.
    public var offers: [(blob: [UInt8], label: String)] {
        identities.flatMap { identity -> [(blob: [UInt8], label: String)] in
            guard identity.type == "ssh-rsa" else { return [(identity.blob, identity.label)] }
            return rsaAlgorithms.compactMap { algorithm in
                PublicKeyBlob.renamed(identity.blob, to: algorithm).map { ($0, "\(identity.label) (\(algorithm))") }
            }
        }
    }

    /// Signs `data` with the identity whose public blob is `blob` (SSH2_AGENTC_SIGN_REQUEST).
    /// An RSA blob renamed to `rsa-sha2-256` or `rsa-sha2-512` (see `offers`) asks for a
    /// signature with that algorithm; any other blob, for its key type's default one.
    /// Blocks until the agent answers (at most `AgentConnection.replyTimeout`, 30 s), so call it
    /// from a thread that may block, not from the shared concurrency pool.
    ///
    /// - Returns: the SSH signature blob, `string algorithm, string signature`.
    public func sign(blob: [UInt8], data: [UInt8]) throws(KeySignerError) -> [UInt8] {
        let type = SignerIdentity.keyType(of: blob) ?? "unknown"
        let flags: UInt32
        switch type {
        case "rsa-sha2-512": flags = AgentProtocol.rsaSHA2_512
        case "rsa-sha2-256": flags = AgentProtocol.rsaSHA2_256
        default: flags = 0
        }
        let key = flags == 0 ? blob : PublicKeyBlob.renamed(blob, to: "ssh-rsa") ?? blob
        guard let route = routes[key] else {
            let keyType = SignerIdentity.keyType(of: key) ?? "unknown"
            throw KeySignerError(.unknownKey, subject: "\(keyType) \(HostKey(type: keyType, blob: key).fingerprint)",
                                 "not among this signer's identities (\(identities.map(\.label).joined(separator: ", ")))")
        }
        try checkOpen(route.label)
        let reply: AgentProtocol.Reply
        do {
            reply = try AgentConnection.request(AgentProtocol.signRequestMessage(blob: key, data: data, flags: flags),
                                                socketPath: route.socketPath)
        } catch {
            try checkOpen(route.label)
            throw KeySignerError(error.code, subject: route.label, "ssh-agent at \(route.socketPath): \(error.message)")
        }
        switch reply {
        case .signature(let signature):
            // An agent that ignores the flags (older than OpenSSH 7.2) answers with ssh-rsa.
            if flags != 0, let made = SignerIdentity.keyType(of: signature), made != type {
                throw KeySignerError(.signingRefused, subject: route.label,
                                     "the ssh-agent at \(route.socketPath) made an \(made) signature when \(type) was asked for "
                                         + "(agents older than OpenSSH 7.2 cannot sign RSA with SHA-2)")
            }
            return signature
        case .failure:
            throw KeySignerError(.signingRefused, subject: route.label,
                                 "the ssh-agent at \(route.socketPath) refused to sign (key no longer in the agent, "
                                     + "confirmation denied, or key type it cannot sign with)")
        case .identities:
            throw KeySignerError(.agentProtocol, subject: route.label,
                                 "the ssh-agent at \(route.socketPath) answered a sign request with a list of keys")
        }
    }

    /// A signer for SSH authentication (`AuthMethod.signer`) with one of `identities`, offered
    /// as it is (an RSA key, with `ssh-rsa` signatures).
    public func publicKeySigner(for identity: SignerIdentity) -> PublicKeySigner {
        PublicKeySigner(blob: identity.blob, label: identity.label) { data in
            try self.sign(blob: identity.blob, data: data)
        }
    }

    /// Signers for SSH authentication (`AuthMethod.signer`), one per login of `offers`, in order.
    public var publicKeySigners: [PublicKeySigner] {
        offers.map { offer in
            PublicKeySigner(blob: offer.blob, label: offer.label) { data in try self.sign(blob: offer.blob, data: data) }
        }
    }

    /// Kills the private agent and removes its socket directory. Idempotent; also done in deinit.
    /// Signing fails with `.closed` afterwards.
    public func close() {
        let agent = state.withLock { state -> PrivateAgent? in
            state.closed = true
            defer { state.privateAgent = nil }
            return state.privateAgent
        }
        agent?.stop()
    }

    private func checkOpen(_ label: String) throws(KeySignerError) {
        if state.withLock({ $0.closed }) {
            throw KeySignerError(.closed, subject: label, "the signer was closed")
        }
    }

    /// The keys the agent at `socketPath` holds.
    private static func list(_ socketPath: String, label: String) throws(KeySignerError) -> [AgentProtocol.Identity] {
        switch try AgentConnection.request(AgentProtocol.requestIdentitiesMessage(), socketPath: socketPath) {
        case .identities(let keys):
            return keys
        case .failure:
            throw KeySignerError(.agentProtocol, subject: label, "the ssh-agent at \(socketPath) refused to list its keys")
        case .signature:
            throw KeySignerError(.agentProtocol, subject: label, "the ssh-agent at \(socketPath) answered a request for keys with a signature")
        }
    }
}
