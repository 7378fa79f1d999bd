/// Why the controller's signer could not start, load a key, or sign.
public struct KeySignerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The private ssh-agent could not be started (not installed, no usable temporary directory…).
        public static let agentUnavailable = Code(rawValue: "agent unavailable")
        /// ssh-add could not load an identity file (missing, unreadable, loose permissions, unknown format).
        public static let keyFileRejected = Code(rawValue: "key file rejected")
        /// The identity file is encrypted and no passphrase was given.
        public static let passphraseRequired = Code(rawValue: "passphrase required")
        /// The passphrase given does not decrypt the identity file.
        public static let wrongPassphrase = Code(rawValue: "wrong passphrase")
        /// An agent's socket could not be reached, or the connection broke or timed out.
        public static let agentConnection = Code(rawValue: "agent connection")
        /// An agent answered something the protocol does not allow.
        public static let agentProtocol = Code(rawValue: "agent protocol")
        /// The agent answered SSH_AGENT_FAILURE to a sign request.
        public static let signingRefused = Code(rawValue: "signing refused")
        /// No identity of this signer has that public key.
        public static let unknownKey = Code(rawValue: "unknown key")
        /// A setting (an environment variable) has a value the signer cannot use.
        public static let invalidSetting = Code(rawValue: "invalid setting")
        /// The signer was closed.
        public static let closed = Code(rawValue: "closed")

        public var description: String { rawValue }
    }

    public var code: Code
    /// What the failure concerns: the identity file, the agent key's comment, or the agent socket.
    public var subject: String
    public var message: String

    public init(_ code: Code, subject: String, _ message: String) {
        self.code = code
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}
