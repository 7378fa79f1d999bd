/// A failure to open or use an SSH link, with the endpoint it concerns.
public struct SSHError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The name did not resolve.
        case resolve
        /// Nothing listens on the port (ECONNREFUSED).
        case refused
        /// No route to the host or its network (EHOSTUNREACH, ENETUNREACH).
        case noRoute
        /// Any other failure to connect.
        case connect
        /// A step took longer than its timeout.
        case timeout
        /// Key exchange failed (often: no algorithm in common).
        case handshake
        /// The host key differs from the known one.
        case hostKeyMismatch
        /// The host is not in known_hosts and the policy is strict.
        case hostKeyUnknown
        /// Every authentication method was refused.
        case authentication
        /// A channel could not be opened or used.
        case channel
        /// The peer closed the connection.
        case closed
        /// Any other libssh2 failure.
        case library(Int32)
    }

    public var code: Code
    /// `user@host:port` or `host:port`.
    public var endpoint: String
    public var message: String

    public init(_ code: Code, endpoint: String, _ message: String) {
        self.code = code
        self.endpoint = endpoint
        self.message = message
    }

    public var description: String { "\(endpoint): \(message)" }
}
