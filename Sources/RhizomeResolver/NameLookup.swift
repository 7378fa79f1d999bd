#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
// <sys/socket.h> and <netdb.h> as C declares them (SOCK_STREAM, IPPROTO_TCP).
import CAres

/// Who turns a host name into addresses.
///
/// Names are resolved where the connection starts: the controller for its own
/// links, a relay for the links it opens. A relay is the static agent, whose
/// glibc cannot load NSS modules, so it reads its host's files itself.
public enum NameLookup: Sendable, Hashable {
    /// getaddrinfo, with the system's NSS (a dynamically linked process: the controller).
    case system
    /// c-ares, reading this host's `/etc/hosts`, `/etc/resolv.conf` and the
    /// `hosts:` order of `/etc/nsswitch.conf` (the static agent on a relay).
    case files(ResolverFiles = .system)

    /// Addresses of `host` for a TCP connection to `port`, in the order to try them.
    /// A numeric address is taken as it is, with no lookup.
    ///
    /// - Parameter timeout: seconds allowed for a lookup that asks DNS servers.
    public func addresses(of host: String, port: Int, timeout: Double) throws(ResolveError) -> [SocketAddress] {
        if let numeric = Self.numeric(host, port: port) { return numeric }
        switch self {
        case .system: return try Self.getaddrinfo(host, port: port, flags: 0)
        case .files(let files): return try AresLookup.addresses(of: host, port: port, files: files, timeout: timeout)
        }
    }

    /// `host` as a numeric IPv4 or IPv6 address (a scope such as `%eth0` included); nil for a name.
    public static func numeric(_ host: String, port: Int) -> [SocketAddress]? {
        // AI_NUMERICHOST parses and never consults a name service, static binary or not.
        try? getaddrinfo(host, port: port, flags: AI_NUMERICHOST)
    }

    private static func getaddrinfo(_ host: String, port: Int, flags: Int32) throws(ResolveError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = flags | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = Glibc.getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let code: ResolveError.Code = rc == EAI_NONAME || rc == -5 /* EAI_NODATA, a GNU extension */ ? .notFound : (rc == EAI_AGAIN ? .temporary : .other)
            throw ResolveError(code, host: host, String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            if let address = info.pointee.ai_addr, let parsed = SocketAddress(address, length: Int(info.pointee.ai_addrlen)) {
                addresses.append(parsed)
            }
        }
        guard !addresses.isEmpty else { throw ResolveError(.notFound, host: host, "no IPv4 or IPv6 address") }
        return addresses
    }
}

/// The files a `.files` lookup reads; other paths than the system's are for tests.
public struct ResolverFiles: Sendable, Hashable {
    /// resolv.conf: nameservers, search domains, ndots, timeout, attempts.
    public var resolvConf: String
    /// The hosts file, or nil for `/etc/hosts`.
    public var hosts: String?
    /// Lookup order, `f` (hosts file) and `b` (DNS), or nil for the order of
    /// `/etc/nsswitch.conf` (`hosts:` line), else `/etc/host.conf`, else files then DNS.
    public var order: String?
    /// UDP and TCP port of the nameservers, or nil for 53.
    public var dnsPort: UInt16?

    public init(resolvConf: String = "/etc/resolv.conf", hosts: String? = nil, order: String? = nil, dnsPort: UInt16? = nil) {
        self.resolvConf = resolvConf
        self.hosts = hosts
        self.order = order
        self.dnsPort = dnsPort
    }

    public static let system = ResolverFiles()
}

/// A name that did not resolve.
public struct ResolveError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The hosts file and DNS both say there is no such name.
        case notFound
        /// No nameserver answered in time, or one answered with a temporary failure.
        case temporary
        case timeout
        case other
    }

    public var code: Code
    public var host: String
    /// What the resolver said, with what it consulted when known.
    public var message: String

    public init(_ code: Code, host: String, _ message: String) {
        self.code = code
        self.host = host
        self.message = message
    }

    public var description: String { "cannot resolve \(host): \(message)" }
}
