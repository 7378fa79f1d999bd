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

    private init(identities: [SignerIdentity], warnings: [String], routes: [[UInt8]: Route], privateAgent: PrivateAgent?) {
        self.identities = identities
        self.warnings = warnings
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
    /// `ssh-add`ed. `passphrase` is asked only for a file that turns out to be encrypted; the
    /// passphrase reaches ssh-add through the environment of its askpass program, never a file.
    ///
    /// - Parameter environment: where `SSH_AUTH_SOCK`, `PATH` and `TMPDIR` are read.
    public static func start(identityFiles: [String], useUserAgent: Bool,
                             passphrase: @escaping @Sendable (String) -> String?,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeySignerError) -> KeySigner {
        var identities: [SignerIdentity] = []
        var routes: [[UInt8]: Route] = [:]
        var warnings: [String] = []

        var privateAgent: PrivateAgent?
        if !identityFiles.isEmpty {
            let agent = try PrivateAgent.start(environment: environment)
            privateAgent = agent
            do {
                var held = Set(try list(agent.socketPath, label: "ssh-agent").map(\.blob))
                for file in identityFiles {
                    try agent.add(file, passphrase: passphrase)
                    // What ssh-add added is what the agent holds now and did not before: the
                    // file's key (and its certificate, when a -cert.pub file sits next to it).
                    // A file repeating an earlier key adds nothing; the key is offered once.
                    let now = try list(agent.socketPath, label: file)
                    for key in now where !held.contains(key.blob) {
                        held.insert(key.blob)
                        identities.append(SignerIdentity(blob: key.blob, type: SignerIdentity.keyType(of: key.blob) ?? "unknown", label: file))
                        routes[key.blob] = Route(socketPath: agent.socketPath, label: file)
                    }
                }
            } catch {
                agent.stop()
                throw error
            }
        }

        if useUserAgent, let socketPath = environment["SSH_AUTH_SOCK"], !socketPath.isEmpty {
            do {
                for key in try list(socketPath, label: "ssh-agent") where routes[key.blob] == nil {
                    let type = SignerIdentity.keyType(of: key.blob) ?? "unknown"
                    let label = key.comment.isEmpty ? "\(type) key of the ssh-agent at \(socketPath)" : key.comment
                    identities.append(SignerIdentity(blob: key.blob, type: type, label: label))
                    routes[key.blob] = Route(socketPath: socketPath, label: label)
                }
            } catch {
                warnings.append("\(error); its keys are not offered")
            }
        }
        return KeySigner(identities: identities, warnings: warnings, routes: routes, privateAgent: privateAgent)
    }

    /// Signs `data` with the identity whose public blob is `blob` (SSH2_AGENTC_SIGN_REQUEST, flags 0).
    /// Blocks until the agent answers (at most `AgentConnection.replyTimeout`, 30 s), so call it
    /// from a thread that may block, not from the shared concurrency pool.
    ///
    /// - Returns: the SSH signature blob, `string algorithm, string signature`.
    public func sign(blob: [UInt8], data: [UInt8]) throws(KeySignerError) -> [UInt8] {
        guard let route = routes[blob] else {
            let type = SignerIdentity.keyType(of: blob) ?? "unknown"
            throw KeySignerError(.unknownKey, subject: "\(type) \(HostKey(type: type, blob: blob).fingerprint)",
                                 "not among this signer's identities (\(identities.map(\.label).joined(separator: ", ")))")
        }
        try checkOpen(route.label)
        let reply: AgentProtocol.Reply
        do {
            reply = try AgentConnection.request(AgentProtocol.signRequestMessage(blob: blob, data: data), socketPath: route.socketPath)
        } catch {
            try checkOpen(route.label)
            throw KeySignerError(error.code, subject: route.label, "ssh-agent at \(route.socketPath): \(error.message)")
        }
        switch reply {
        case .signature(let signature):
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

    /// A signer for SSH authentication (`AuthMethod.signer`) with one of `identities`.
    public func publicKeySigner(for identity: SignerIdentity) -> PublicKeySigner {
        PublicKeySigner(blob: identity.blob, label: identity.label) { data in
            try self.sign(blob: identity.blob, data: data)
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
