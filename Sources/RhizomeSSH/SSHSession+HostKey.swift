import RhizomeResolver

/// What host-key verification concluded.
public enum HostKeyOutcome: Hashable, Sendable {
    /// The key is in known_hosts.
    case known
    /// Unknown host accepted under accept-new; the line should be added to known_hosts.
    case accepted(line: String)
    /// Not checked (policy off); the warning must be shown.
    case unchecked(warning: String)
}

/// How known_hosts names a host, as OpenSSH decides it (sshconnect.c).
public struct HostKeyName: Sendable, Hashable {
    /// The name as written: `ansible_host` as given (or ssh_config HostName), else the
    /// inventory name. Never an address the name resolved to.
    public var name: String
    /// ssh_config HostKeyAlias: looked up and recorded instead of the name, with no port.
    public var alias: String?
    /// ssh_config CheckHostIP: also compare the key recorded for the address connected to.
    public var checkHostIP: Bool

    public init(name: String, alias: String? = nil, checkHostIP: Bool = false) {
        self.name = name
        self.alias = alias
        self.checkHostIP = checkHostIP
    }
}

extension SSHSession {
    /// Checks the server's host key against `knownHosts` under `policy`.
    ///
    /// - Parameter name: how known_hosts names the host (default: the host connected to, as given).
    public func verifyHostKey(knownHosts: KnownHosts, policy: HostKeyPolicy, name: HostKeyName? = nil) throws(SSHError) -> HostKeyOutcome {
        let key = try hostKey()
        let identity = name ?? HostKeyName(name: host)
        // HostKeyAlias replaces the name and its port; otherwise `[name]:port` off port 22.
        let lookup = identity.alias ?? KnownHosts.name(host: identity.name, port: port)
        let verdict = identity.alias != nil ? knownHosts.check(name: lookup, key: key)
            : knownHosts.check(host: identity.name, port: port, key: key)
        let address = identity.checkHostIP ? checkedAddress(for: identity.name) : nil
        let addressVerdict = address.map { knownHosts.check(host: $0, port: port, key: key) }
        let source = knownHosts.source

        switch verdict {
        case .match:
            if let address, let addressVerdict {
                return try checkAddress(address, addressVerdict, host: lookup, key: key, known: knownHosts, policy: policy)
            }
            return .known
        case .revoked(let entry):
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "REVOKED HOST KEY for \(lookup): \(key.fingerprint) (\(key.type)) is marked @revoked in "
                               + "\(source):\(entry.line). A stolen key could be impersonating the host; "
                               + "the connection is refused whatever the host key policy")
        case .mismatch(let known):
            if policy == .off {
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "does NOT match known_hosts"))
            }
            let expected = known.map { "\($0.key.fingerprint) (\($0.key.type), \(source):\($0.line))" }
                .joined(separator: ", ")
            var spoofing = ""
            if let address, let addressVerdict {
                // OpenSSH's "POSSIBLE DNS SPOOFING": what the key recorded for the address says.
                switch addressVerdict {
                case .match: spoofing = " The key recorded for its address \(address) is unchanged: the name may point elsewhere now."
                case .mismatch(let others): spoofing = " The key recorded for its address \(address) differs too (\(source):\(others[0].line))."
                default: spoofing = " Its address \(address) has no key recorded."
                }
            }
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "HOST KEY MISMATCH for \(lookup): expected \(expected), got \(key.fingerprint) (\(key.type))."
                               + spoofing + " Someone could be intercepting the connection, or the host was reinstalled; "
                               + "remove the old line only after checking the new key out of band")
        case .otherTypes(let known):
            // OpenSSH's accept-new would add the new type; a key of a new type
            // from a known host is too close to an impersonation to take silently.
            if policy == .off {
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "is of a type known_hosts does not have for this host"))
            }
            let types = Set(known.map(\.key.type)).sorted().joined(separator: ", ")
            let lines = known.map { "\(source):\($0.line)" }.joined(separator: ", ")
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "\(lookup) is known in \(lines) only with \(types) keys, but offered \(key.type) "
                               + "\(key.fingerprint). (libssh2 1.10 cannot verify RSA host keys with SHA-2, so RSA-only "
                               + "entries cannot be used against OpenSSH 8.8 or later.) Check the fingerprint out of band and add the "
                               + "\(key.type) key to known_hosts")
        case .certificateAuthorities(let authorities):
            if policy == .off {
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "is vouched for by no key in known_hosts (only a @cert-authority)"))
            }
            // Accepting the plain key here would overrule the authority the file names.
            let lines = authorities.map { "\(source):\($0.line)" }.joined(separator: ", ")
            throw SSHError(.hostKeyUnknown, endpoint: endpoint,
                           "\(lookup) is vouched for only by @cert-authority (\(lines)), and libssh2 1.10 cannot check host "
                               + "certificates; its plain key is \(key.fingerprint) (\(key.type)). Add that key to known_hosts "
                               + "after checking it out of band")
        case .unknown:
            switch policy {
            case .strict:
                throw SSHError(.hostKeyUnknown, endpoint: endpoint,
                               "host \(lookup) is not in \(source) (policy strict); its key is \(key.fingerprint) (\(key.type)). "
                                   + "Add it after checking the fingerprint, or use --host-key-checking accept-new")
            case .acceptNew:
                if let address, case .mismatch(let others) = addressVerdict {
                    throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                                   "\(lookup) is new, but its address \(address) is known with another key "
                                       + "(\(source):\(others[0].line)); refused (CheckHostIP)")
                }
                // As ssh records it: the name (or alias), then the address under CheckHostIP.
                let names = [lookup] + (address.map { [KnownHosts.name(host: $0, port: port)] } ?? [])
                return .accepted(line: names.joined(separator: ",") + " " + key.knownHostsText)
            case .off:
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "is not in known_hosts"))
            }
        }
    }

    /// The numeric address CheckHostIP compares, or nil where OpenSSH skips it: the
    /// name is that address already, the peer is loopback, or the stream is not
    /// a TCP connection of ours (a tunnel, whose far end resolved the name).
    func checkedAddress(for name: String) -> String? {
        guard let peer = SocketAddress.peer(of: socket), !peer.isLoopback else { return nil }
        let address = peer.numericHost
        return address.lowercased() == name.lowercased() ? nil : address
    }

    /// CheckHostIP once the name matched: a different key for the address is
    /// refused unless checking is off; a new address is recorded.
    private func checkAddress(_ address: String, _ verdict: KnownHosts.Verdict, host: String, key: HostKey,
                              known: KnownHosts, policy: HostKeyPolicy) throws(SSHError) -> HostKeyOutcome {
        switch verdict {
        case .match:
            return .known
        case .mismatch(let others), .otherTypes(let others):
            let detail = "the \(key.type) key of \(host) differs from the key for its address \(address) "
                + "(\(known.source):\(others[0].line))"
            if policy == .off { return .unchecked(warning: "WARNING: \(detail)") }
            throw SSHError(.hostKeyMismatch, endpoint: endpoint, "\(detail); refused (CheckHostIP)")
        case .revoked(let entry):
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "REVOKED HOST KEY: \(key.fingerprint) is marked @revoked for \(address) in \(known.source):\(entry.line)")
        case .unknown, .certificateAuthorities:
            return policy == .off ? .known : .accepted(line: KnownHosts.line(host: address, port: port, key: key))
        }
    }

    static func offWarning(endpoint: String, key: HostKey, detail: String) -> String {
        "WARNING: host key checking is OFF. \(endpoint) presented \(key.fingerprint) (\(key.type)), which \(detail). "
            + "Anyone on the path can impersonate this host and read everything sent to it."
    }
}
