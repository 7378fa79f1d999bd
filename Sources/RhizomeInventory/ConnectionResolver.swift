import Foundation

/// Turns one host's merged variables (and ssh_config) into a `ConnectionSpec` and
/// the hops written in front of it.
///
/// Precedence, highest first: inventory variables (`ansible_*`, `rhizome_*`),
/// then options inside `ansible_ssh_common_args`/`ansible_ssh_extra_args`, then
/// ssh_config, then defaults. This is what OpenSSH itself does when Ansible runs
/// it, because Ansible's `-o` options come before the config files.
struct ConnectionResolver {
    let sshConfig: SSHConfig?

    /// The hops written in front of a host, outermost first, and where they were written.
    struct Front: Sendable, Hashable {
        var tokens: [String]
        /// `via`, `mitogen_via`, `ProxyJump`, …: what the tokens came from, for messages.
        var source: String
        var origin: SourceLocation?
        /// Tokens from `via`/`mitogen_via` must name an inventory host or look like an address.
        var strict: Bool

        static let none = Front(tokens: [], source: "", origin: nil, strict: false)
    }

    struct Result {
        var connection: ConnectionSpec
        var front: Front
        var warnings: [InventoryWarning]
    }

    /// Variables that Rhizome reads itself; any other `rhizome_*` variable is a mistake.
    static let rhizomeVariables: Set<String> = [
        "rhizome_known_hosts", "rhizome_host_key_checking", "rhizome_connect_timeout", "rhizome_via_mode",
        "rhizome_target_cache", "rhizome_target_cache_size",
    ]

    func resolve(name: String, vars: VariableTable) throws -> Result {
        var warnings: [InventoryWarning] = []
        func text(_ key: String) throws -> String? {
            guard var value = vars.value(key) else { return nil }
            if value == .null { return nil }
            if case .map(let m) = value, m.count == 1, let inner = m["__ansible_unsafe"] { value = inner }
            if case .map(let m) = value, m.count == 1, m["__ansible_vault"] != nil {
                throw InventoryError(.invalidValue, "\(key) of host '\(name)' is vault-encrypted; Rhizome cannot decrypt "
                                         + "vault values (pass it with -e @file instead)", at: vars.origin(key))
            }
            guard let s = value.scalarText else {
                throw InventoryError(.invalidValue, "\(key) of host '\(name)' must be a single value", at: vars.origin(key))
            }
            if s.contains("{{") || s.contains("{%") {
                warnings.append(InventoryWarning(host: name, "\(key) is a Jinja template, which Rhizome does not "
                                                     + "evaluate; the text is used as it is", at: vars.origin(key)))
            }
            return s
        }
        /// Ansible reads several names for one setting; the last one defined wins.
        func lastDefined(_ keys: [String]) -> String? {
            keys.last { vars.value($0) != nil && vars.value($0) != .null }
        }

        for key in vars.values.keys where key.hasPrefix("rhizome_") && !Self.rhizomeVariables.contains(key) {
            throw InventoryError(.unknownKey, "unknown variable '\(key)' on host '\(name)' (known: "
                                     + Self.rhizomeVariables.sorted().joined(separator: ", ") + ")",
                                 at: vars.origin(key), snippet: key)
        }

        // Kind of connection.
        var kind = ConnectionSpec.Kind.ssh
        if let value = try text("ansible_connection") {
            switch value {
            case "ssh", "paramiko", "smart", "ansible.builtin.ssh", "ansible.builtin.paramiko_ssh", "paramiko_ssh":
                kind = .ssh
            case "local", "ansible.builtin.local":
                kind = .local
            default:
                warnings.append(InventoryWarning(
                    host: name, "ansible_connection=\(value) is not supported; using ssh",
                    at: vars.origin("ansible_connection")))
            }
        }

        // The name ssh is given: ansible_host (or ansible_ssh_host), else the inventory name.
        let hostKey = lastDefined(["ansible_host", "ansible_ssh_host"])
        let target = try hostKey.flatMap { try text($0) } ?? name

        var port: Int?
        if let key = lastDefined(["ansible_port", "ansible_ssh_port"]) {
            guard let p = vars.value(key)?.integer, (0...65535).contains(p) else {
                throw InventoryError(.invalidValue, "\(key) of host '\(name)' is not a port number",
                                     at: vars.origin(key), snippet: try text(key))
            }
            port = p
        }
        let user = try lastDefined(["ansible_user", "ansible_ssh_user"]).flatMap { try text($0) }
        var identityFiles: [String] = []
        if let key = lastDefined(["ansible_private_key_file", "ansible_ssh_private_key_file"]), let file = try text(key) {
            identityFiles.append(file)
        }
        let password = try lastDefined(["ansible_password", "ansible_ssh_pass", "ansible_ssh_password"]).flatMap { try text($0) }

        var knownHosts = try text("rhizome_known_hosts")
        var checking: ConnectionSpec.HostKeyChecking?
        if let value = try text("rhizome_host_key_checking") {
            guard let parsed = ConnectionSpec.HostKeyChecking(rawValue: value) else {
                throw InventoryError(.invalidValue, "rhizome_host_key_checking must be strict, accept-new or off",
                                     at: vars.origin("rhizome_host_key_checking"), snippet: value)
            }
            checking = parsed
        } else if let key = lastDefined(["ansible_host_key_checking", "ansible_ssh_host_key_checking"]) {
            if let b = vars.value(key)?.boolean { checking = b ? .strict : .off }
        }
        var timeout: Double?
        if vars.value("rhizome_connect_timeout") != nil {
            guard let t = vars.value("rhizome_connect_timeout")?.number, t > 0 else {
                throw InventoryError(.invalidValue, "rhizome_connect_timeout must be a positive number of seconds",
                                     at: vars.origin("rhizome_connect_timeout"),
                                     snippet: try text("rhizome_connect_timeout"))
            }
            timeout = t
        } else if let t = vars.value("ansible_ssh_timeout")?.number, t > 0 {
            timeout = t
        }
        var viaMode = ConnectionSpec.ViaMode.relay
        if let value = try text("rhizome_via_mode") {
            guard let mode = ConnectionSpec.ViaMode(rawValue: value) else {
                throw InventoryError(.invalidValue, "rhizome_via_mode must be relay or tunnel",
                                     at: vars.origin("rhizome_via_mode"), snippet: value)
            }
            viaMode = mode
        }

        // Target cache (`--target-cache` and `--target-cache-size` override both).
        let targetCache = try text("rhizome_target_cache")
        if let targetCache, !targetCache.hasPrefix("/") {
            throw InventoryError(.invalidValue, "rhizome_target_cache of host '\(name)' must be an absolute path on the host",
                                 at: vars.origin("rhizome_target_cache"), snippet: targetCache)
        }
        var targetCacheBytes: UInt64?
        if let value = vars.value("rhizome_target_cache_size"), value != .null {
            guard let bytes = value.integer, bytes >= 0 else {
                throw InventoryError(.invalidValue, "rhizome_target_cache_size of host '\(name)' must be a number of bytes",
                                     at: vars.origin("rhizome_target_cache_size"), snippet: value.scalarText)
            }
            targetCacheBytes = UInt64(bytes)
        }

        // Become.
        var become = false
        if let value = vars.value("ansible_become"), value != .null {
            guard let b = value.boolean else {
                throw InventoryError(.invalidValue, "ansible_become of host '\(name)' is not a boolean",
                                     at: vars.origin("ansible_become"), snippet: value.scalarText)
            }
            become = b
        }
        let becomeUser = try text("ansible_become_user")
        let becomeMethod = try text("ansible_become_method")
        let becomePassword = try lastDefined(["ansible_become_password", "ansible_become_pass"]).flatMap { try text($0) }

        // Hops written in the inventory.
        var front = Front.none
        let viaKeys = ["via", "mitogen_via"].filter { vars.value($0) != nil && vars.value($0) != .null }
        if let first = viaKeys.first {
            let value = try text(first) ?? ""
            if viaKeys.count == 2, let other = try text("mitogen_via"), other != value {
                throw InventoryError(.conflictingChains,
                                     "host '\(name)' has via=\(value) and mitogen_via=\(other); keep one",
                                     at: vars.origin("mitogen_via"))
            }
            let tokens = value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            front = Front(tokens: tokens, source: first, origin: vars.origin(first), strict: true)
        }

        // Options inside ansible_ssh_common_args / ansible_ssh_extra_args.
        let args = try SSHArguments.parse(vars: vars, host: name)
        warnings += args.warnings
        if !args.front.tokens.isEmpty {
            if front.tokens.isEmpty {
                front = args.front
            } else if front.tokens != args.front.tokens {
                throw InventoryError(.conflictingChains,
                                     "host '\(name)' has two different chains: \(front.source)=\(front.tokens.joined(separator: ","))"
                                         + " (\(front.origin?.description ?? "?")) and \(args.front.source) "
                                         + args.front.tokens.joined(separator: ",")
                                         + " (\(args.front.origin?.description ?? "?"))",
                                     at: front.origin)
            }
        }

        // ssh_config, matched on the name ssh would be given.
        var connection = ConnectionSpec(address: target, kind: kind)
        connection.password = password
        connection.become = become
        connection.becomeUser = becomeUser
        connection.becomeMethod = becomeMethod
        connection.becomePassword = becomePassword
        connection.viaMode = viaMode
        connection.targetCache = targetCache
        connection.targetCacheBytes = targetCacheBytes
        if kind == .local {
            // A local agent needs no address, user or hops.
            connection.address = "localhost"
            if !front.tokens.isEmpty {
                warnings.append(InventoryWarning(
                    host: name, "\(front.source) is ignored because ansible_connection=local", at: front.origin))
                front = .none
            }
            connection.port = port ?? 22
            connection.user = user
            return Result(connection: connection, front: front, warnings: warnings)
        }
        let config = sshConfig?.settings(for: target, user: user ?? args.user) ?? SSHConfig.Settings()
        for (directive, location) in config.unsupported {
            warnings.append(InventoryWarning(host: name, "ssh_config \(directive) is not supported and is ignored",
                                             at: location))
        }
        connection.address = config.hostName ?? args.hostName ?? target
        if let hostName = args.hostName { connection.address = hostName }
        connection.port = port ?? args.port ?? config.port ?? 22
        connection.user = user ?? args.user ?? config.user
        connection.identityFiles = identityFiles + args.identityFiles + config.identityFiles
        knownHosts = knownHosts ?? args.userKnownHostsFile ?? config.userKnownHostsFile
        connection.knownHostsFile = knownHosts
        if checking == nil, let value = args.strictHostKeyChecking ?? config.strictHostKeyChecking {
            checking = Self.hostKeyChecking(value)
            if checking == nil {
                warnings.append(InventoryWarning(host: name, "StrictHostKeyChecking=\(value) is not understood",
                                                 at: config.origins["StrictHostKeyChecking"] ?? vars.origin("ansible_ssh_common_args")))
            }
        }
        connection.hostKeyChecking = checking
        connection.hostKeyAlias = args.hostKeyAlias ?? config.hostKeyAlias
        connection.checkHostIP = args.checkHostIP ?? config.checkHostIP ?? false
        connection.connectTimeout = timeout ?? args.connectTimeout ?? config.connectTimeout
        if front.tokens.isEmpty {
            if let jump = config.proxyJump {
                front = Front(tokens: SSHArguments.jumpTokens(jump), source: "ssh_config ProxyJump",
                              origin: config.origins["ProxyJump"], strict: false)
            } else if let command = config.proxyCommand {
                let parsed = SSHArguments.proxyCommandFront(command, origin: config.origins["ProxyCommand"],
                                                            source: "ssh_config ProxyCommand")
                switch parsed {
                case .success(let f): front = f
                case .failure(let warning):
                    warnings.append(InventoryWarning(host: name, "ssh_config: \(warning.message)", at: warning.location))
                }
            }
        }
        return Result(connection: connection, front: front, warnings: warnings)
    }

    static func hostKeyChecking(_ value: String) -> ConnectionSpec.HostKeyChecking? {
        switch value.lowercased() {
        case "yes", "ask", "strict", "true": return .strict
        case "accept-new": return .acceptNew
        case "no", "off", "false": return .off
        default: return nil
        }
    }
}
