#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CAres
import RhizomeIO
import Synchronization

/// Name lookups with c-ares: what a relay uses, since the static agent's
/// getaddrinfo cannot load NSS modules and so would never read `/etc/hosts`
/// or ask DNS. c-ares reads the same files glibc would.
///
/// Blocking: call it on the thread that connects.
enum AresLookup {
    /// c-ares' global initialisation, once per process (it is not thread-safe).
    private static let initialized: Int32 = ares_library_init(ARES_LIB_INIT_ALL)

    /// Serialises lookups that name their own hosts file: c-ares takes it from
    /// the process environment (`CARES_HOSTS`, read under `ARES_AI_ENVHOSTS`).
    private static let environmentLock = Mutex(())

    static func addresses(of host: String, port: Int, files: ResolverFiles, timeout: Double) throws(ResolveError) -> [SocketAddress] {
        guard initialized == ARES_SUCCESS else {
            throw ResolveError(.other, host: host, String(cString: ares_strerror(initialized)))
        }
        if let hostsFile = files.hosts {
            let result = environmentLock.withLock { _ -> Result<[SocketAddress], ResolveError> in
                setenv("CARES_HOSTS", hostsFile, 1)
                defer { unsetenv("CARES_HOSTS") }
                do throws(ResolveError) {
                    return .success(try lookup(host, port: port, files: files, timeout: timeout))
                } catch {
                    return .failure(error)
                }
            }
            return try result.get()
        }
        return try lookup(host, port: port, files: files, timeout: timeout)
    }

    /// What one `ares_getaddrinfo` call ended with.
    private final class Answer {
        var status: Int32 = -1
        var addresses: [SocketAddress] = []
        var done = false
    }

    private static func lookup(_ host: String, port: Int, files: ResolverFiles, timeout: Double) throws(ResolveError) -> [SocketAddress] {
        var channel: ares_channel?
        var options = ares_options()
        var mask: Int32 = ARES_OPT_RESOLVCONF
        let resolvConf = strdup(files.resolvConf)
        let order = files.order.map { strdup($0) } ?? nil
        defer {
            free(resolvConf)
            free(order)
        }
        options.resolvconf_path = resolvConf
        if let order {
            options.lookups = order
            mask |= ARES_OPT_LOOKUPS
        }
        if let port = files.dnsPort {
            options.udp_port = port
            options.tcp_port = port
            mask |= ARES_OPT_UDP_PORT | ARES_OPT_TCP_PORT
        }
        let rc = ares_init_options(&channel, &options, mask)
        guard rc == ARES_SUCCESS, let channel else {
            throw ResolveError(.other, host: host, "cannot read the resolver configuration (\(files.resolvConf)): "
                                   + String(cString: ares_strerror(rc)))
        }
        defer { ares_destroy(channel) }

        let answer = Answer()
        var hints = ares_addrinfo_hints()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        // ENVHOSTS: c-ares reads CARES_HOSTS only when asked to (set for a hosts file other than /etc/hosts).
        hints.ai_flags = ARES_AI_NUMERICSERV | (files.hosts != nil ? ARES_AI_ENVHOSTS : 0)
        let context = Unmanaged.passRetained(answer)
        ares_getaddrinfo(channel, host, String(port), &hints, { arg, status, _, result in
            let answer = Unmanaged<Answer>.fromOpaque(arg!).takeRetainedValue()
            answer.status = status
            answer.done = true
            guard let result else { return }
            defer { ares_freeaddrinfo(result) }
            var node = result.pointee.nodes
            while let current = node {
                node = current.pointee.ai_next
                if let address = current.pointee.ai_addr,
                   let parsed = SocketAddress(address, length: Int(current.pointee.ai_addrlen)) {
                    answer.addresses.append(parsed)
                }
            }
        }, context.toOpaque())

        let deadline = Clock.seconds() + timeout
        while !answer.done {
            let remaining = deadline - Clock.seconds()
            if remaining <= 0 {
                // Runs the callback with ARES_ECANCELLED.
                ares_cancel(channel)
                throw ResolveError(.timeout, host: host, "no answer within \(Int(timeout.rounded(.up))) s "
                                       + describe(channel))
            }
            wait(channel, upTo: remaining)
        }
        guard answer.status == ARES_SUCCESS, !answer.addresses.isEmpty else {
            var status = answer.status
            // With no DNS step to take, c-ares ends a miss with its initial code, "could not
            // contact DNS servers", which would send someone looking for a nameserver problem.
            if status == ARES_ECONNREFUSED, !lookupOrder(channel).contains("b") { status = ARES_ENOTFOUND }
            let code: ResolveError.Code = switch status {
            case ARES_ENOTFOUND, ARES_ENODATA, ARES_ENONAME: .notFound
            case ARES_ETIMEOUT, ARES_ECONNREFUSED, ARES_ESERVFAIL: .temporary
            default: .other
            }
            let reason = status == ARES_SUCCESS ? "no IPv4 or IPv6 address" : String(cString: ares_strerror(status))
            throw ResolveError(code, host: host, reason + " " + describe(channel))
        }
        return answer.addresses
    }

    /// One round of c-ares' sockets: waits for them (or its next timeout), then lets it process.
    private static func wait(_ channel: ares_channel, upTo seconds: Double) {
        var sockets = [ares_socket_t](repeating: -1, count: Int(ARES_GETSOCK_MAXNUM))
        let bits = ares_getsock(channel, &sockets, ARES_GETSOCK_MAXNUM)
        var polled: [pollfd] = []
        for index in 0 ..< Int(ARES_GETSOCK_MAXNUM) {
            var events: Int16 = 0
            if CAres_getsock_readable(bits, Int32(index)) != 0 { events |= Int16(POLLIN) }
            if CAres_getsock_writable(bits, Int32(index)) != 0 { events |= Int16(POLLOUT) }
            if events != 0 { polled.append(pollfd(fd: sockets[index], events: events, revents: 0)) }
        }
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        var next = timeval()
        let chosen = ares_timeout(channel, &limit, &next)
        let milliseconds = chosen.map { Int32($0.pointee.tv_sec * 1000 + $0.pointee.tv_usec / 1000) } ?? Int32(seconds * 1000)
        var ready: Int32
        repeat { ready = poll(&polled, nfds_t(polled.count), max(0, milliseconds)) } while ready < 0 && errno == EINTR
        if ready <= 0 {
            // A timeout of c-ares' own: it retries or gives up.
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
            return
        }
        for entry in polled where entry.revents != 0 {
            let readable = entry.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0 ? entry.fd : ARES_SOCKET_BAD
            let writable = entry.revents & Int16(POLLOUT) != 0 ? entry.fd : ARES_SOCKET_BAD
            ares_process_fd(channel, readable, writable)
        }
    }

    /// The order c-ares looks in: `f` hosts file, `b` DNS (from nsswitch.conf unless set).
    private static func lookupOrder(_ channel: ares_channel) -> String {
        var options = ares_options()
        var mask: Int32 = 0
        var order = "fb"
        if ares_save_options(channel, &options, &mask) == ARES_SUCCESS {
            if let lookups = options.lookups { order = String(cString: lookups) }
            ares_destroy_options(&options)
        }
        return order
    }

    /// "(hosts file, then DNS 10.0.0.53)": where the name was looked for, for messages.
    private static func describe(_ channel: ares_channel) -> String {
        let order = lookupOrder(channel)
        var servers: [String] = []
        var list: UnsafeMutablePointer<ares_addr_port_node>?
        if ares_get_servers_ports(channel, &list) == ARES_SUCCESS {
            var node = list
            while let current = node {
                node = current.pointee.next
                var buffer = [CChar](repeating: 0, count: 64)
                var address = current.pointee.addr
                let text = withUnsafeBytes(of: &address) { raw in
                    ares_inet_ntop(current.pointee.family, raw.baseAddress, &buffer, ares_socklen_t(buffer.count))
                }
                if text != nil {
                    servers.append(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
            }
            ares_free_data(list)
        }
        let steps = order.compactMap { step -> String? in
            switch step {
            case "f": return "hosts file"
            case "b": return servers.isEmpty ? "DNS (no nameserver configured)" : "DNS " + servers.joined(separator: ", ")
            default: return nil
            }
        }
        return "(looked in " + steps.joined(separator: ", then ") + ")"
    }
}
