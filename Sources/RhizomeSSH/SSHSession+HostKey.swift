/// What host-key verification concluded.
public enum HostKeyOutcome: Hashable, Sendable {
    /// The key is in known_hosts.
    case known
    /// Unknown host accepted under accept-new; the line should be added to known_hosts.
    case accepted(line: String)
    /// Not checked (policy off); the warning must be shown.
    case unchecked(warning: String)
}

extension SSHSession {
    /// Checks the server's host key against `knownHosts` under `policy`.
    ///
    /// - Parameter name: the host as known_hosts names it (the address connected to).
    public func verifyHostKey(knownHosts: KnownHosts, policy: HostKeyPolicy, name: String? = nil) throws(SSHError) -> HostKeyOutcome {
        let key = try hostKey()
        let lookup = name ?? host
        switch knownHosts.check(host: lookup, port: port, key: key) {
        case .match:
            return .known
        case .revoked(let entry):
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "host key \(key.fingerprint) (\(key.type)) is marked @revoked in \(knownHosts.source):\(entry.line)")
        case .mismatch(let known):
            if policy == .off {
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "does NOT match known_hosts"))
            }
            let expected = known.map { "\($0.key.fingerprint) (\($0.key.type), \(knownHosts.source):\($0.line))" }
                .joined(separator: ", ")
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "HOST KEY MISMATCH for \(lookup): expected \(expected), got \(key.fingerprint) (\(key.type)). "
                               + "Someone could be intercepting the connection, or the host was reinstalled; "
                               + "remove the old line only after checking the new key out of band")
        case .otherTypes(let known):
            // OpenSSH's accept-new would add the new type; a key of a new type
            // from a known host is too close to an impersonation to take silently.
            if policy == .off {
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "is of a type known_hosts does not have for this host"))
            }
            let types = Set(known.map(\.key.type)).sorted().joined(separator: ", ")
            throw SSHError(.hostKeyMismatch, endpoint: endpoint,
                           "\(lookup) is known in \(knownHosts.source) only with \(types) keys, but offered \(key.type) "
                               + "\(key.fingerprint). (libssh2 1.10 cannot verify RSA host keys with SHA-2, so RSA-only "
                               + "entries cannot be used against OpenSSH 8.8 or later.) Check the fingerprint out of band and add the "
                               + "\(key.type) key to known_hosts")
        case .unknown:
            switch policy {
            case .strict:
                throw SSHError(.hostKeyUnknown, endpoint: endpoint,
                               "host \(lookup) is not in \(knownHosts.source) (policy strict); its key is \(key.fingerprint) (\(key.type)). "
                                   + "Add it after checking the fingerprint, or use --host-key-checking accept-new")
            case .acceptNew:
                return .accepted(line: KnownHosts.line(host: lookup, port: port, key: key))
            case .off:
                return .unchecked(warning: Self.offWarning(endpoint: endpoint, key: key, detail: "is not in known_hosts"))
            }
        }
    }

    static func offWarning(endpoint: String, key: HostKey, detail: String) -> String {
        "WARNING: host key checking is OFF. \(endpoint) presented \(key.fingerprint) (\(key.type)), which \(detail). "
            + "Anyone on the path can impersonate this host and read everything sent to it."
    }
}
