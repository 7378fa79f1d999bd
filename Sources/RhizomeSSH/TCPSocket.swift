#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeResolver

/// Opens TCP connections with a timeout, over IPv4 or IPv6.
public enum TCPSocket {
    /// Connects to `host:port`, trying each resolved address in turn within
    /// `timeout` seconds overall. Returns a blocking socket with TCP_NODELAY.
    ///
    /// A numeric address is used as it is; a name is resolved by `lookup`, here
    /// where the connection starts (on a relay: with the relay's own files).
    public static func connect(host: String, port: Int, timeout: Double,
                               lookup: NameLookup = .system) throws(SSHError) -> CInt {
        let endpoint = formatEndpoint(host: host, port: port)
        let start = Clock.seconds()
        let addresses: [SocketAddress]
        do {
            addresses = try lookup.addresses(of: host, port: port, timeout: timeout)
        } catch {
            throw SSHError(.resolve, endpoint: endpoint, error.description)
        }
        let deadline = start + timeout
        var lastError = "no address"
        var lastCode = SSHError.Code.connect
        for address in addresses {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_TCP))
            guard fd >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            let descriptor = FileDescriptor(rawValue: fd)
            do {
                try descriptor.setNonBlocking()
                if address.withSockAddr({ Glibc.connect(fd, $0, $1) }) != 0 {
                    guard errno == EINPROGRESS else { throw Errno.current("connect") }
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    let remaining = Int32(max(0, (deadline - Clock.seconds()) * 1000))
                    var ready: Int32
                    repeat { ready = poll(&pfd, 1, remaining) } while ready < 0 && errno == EINTR
                    if ready == 0 {
                        descriptor.close()
                        throw SSHError(.timeout, endpoint: endpoint, "connect timed out after \(formatSeconds(timeout))")
                    }
                    var soError: CInt = 0
                    var length = socklen_t(MemoryLayout<CInt>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
                    if soError != 0 { throw Errno(soError, call: "connect") }
                }
                try descriptor.setNonBlocking(false)
                var one: CInt = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
                return fd
            } catch let error as Errno {
                descriptor.close()
                // Of several addresses (IPv6 and IPv4), the one that got furthest speaks for
                // the host: a refusal says more than another error, which says more than no route.
                let code: SSHError.Code = switch error.rawValue {
                case ECONNREFUSED: .refused
                case EHOSTUNREACH, ENETUNREACH: .noRoute
                default: .connect
                }
                let rank: (SSHError.Code) -> Int = { $0 == .refused ? 2 : ($0 == .connect ? 1 : 0) }
                if lastError == "no address" || rank(code) >= rank(lastCode) {
                    lastError = String(cString: strerror(error.rawValue))
                    lastCode = code
                }
            } catch let error as SSHError {
                throw error
            } catch {
                descriptor.close()
                lastError = "\(error)"
            }
        }
        throw SSHError(lastCode, endpoint: endpoint, lastError)
    }

    static func formatEndpoint(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}
