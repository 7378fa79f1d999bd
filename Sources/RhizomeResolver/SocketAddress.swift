#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
// <sys/socket.h> and <netdb.h> as C declares them (SOCK_STREAM, IPPROTO_TCP).
import CAres

/// One address to connect to (IPv4 or IPv6, with its port), as a resolver returned it.
public struct SocketAddress: Sendable, Hashable {
    /// `AF_INET` or `AF_INET6`.
    public let family: Int32
    /// The raw `sockaddr_in`/`sockaddr_in6` bytes.
    let bytes: [UInt8]

    /// Copies `length` bytes of `address`; nil for families other than IPv4 and IPv6.
    public init?(_ address: UnsafePointer<sockaddr>, length: Int) {
        let family = Int32(address.pointee.sa_family)
        guard family == AF_INET || family == AF_INET6, length > 0,
              length <= MemoryLayout<sockaddr_storage>.size else { return nil }
        self.family = family
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(address), count: length).map { $0 }
    }

    /// Runs `body` with the address as the sockets API takes it.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        var storage = sockaddr_storage()
        return try withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyBytes(from: bytes)
            return try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
        }
    }

    /// The address in numeric form (`10.0.0.5`, `fe80::1%eth0`), without its port.
    /// Pure formatting: no name service is asked.
    public var numericHost: String {
        withSockAddr { address, length in
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
                return "?"
            }
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The address of the peer of a connected socket; nil for a socketpair or a closed socket.
    public static func peer(of socket: CInt) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                guard getpeername(socket, address, &length) == 0 else { return nil }
                return SocketAddress(address, length: Int(length))
            }
        }
    }

    /// Loopback addresses: OpenSSH does not compare their keys by address (CheckHostIP).
    public var isLoopback: Bool {
        let host = numericHost
        return host == "::1" || host.hasPrefix("127.") || host.hasPrefix("::ffff:127.")
    }
}
