import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The parts of an OpenSSH client configuration that decide how to reach a host:
/// `Host` and `Match` blocks, `HostName`, `User`, `Port`, `IdentityFile`,
/// `ProxyJump`, `ProxyCommand`, `UserKnownHostsFile`, `StrictHostKeyChecking`,
/// `HostKeyAlias`, `CheckHostIP`, `ConnectTimeout` and `Include`. As in OpenSSH, the first value obtained for a
/// setting wins, except `IdentityFile`, which accumulates.
struct SSHConfig: Sendable {
    /// The settings that apply to one host.
    struct Settings: Sendable {
        var hostName: String?
        var user: String?
        var port: Int?
        var identityFiles: [String] = []
        var proxyJump: String?
        var proxyCommand: String?
        var userKnownHostsFile: String?
        var strictHostKeyChecking: String?
        var hostKeyAlias: String?
        var checkHostIP: Bool?
        var connectTimeout: Double?
        /// Where each setting came from, by keyword (`ProxyJump`, …).
        var origins: [String: SourceLocation] = [:]
        /// Directives that apply but that Rhizome cannot honour.
        var unsupported: [(String, SourceLocation)] = []
    }

    /// OpenSSH's limit on nested `Include`s.
    static let maximumIncludeDepth = 16
    /// Directives that change how a host is reached and that Rhizome does not implement.
    static let unsupportedDirectives: Set<String> = [
        "certificatefile", "identityagent", "identitiesonly", "canonicalizehostname",
        "knownhostscommand", "globalknownhostsfile", "bindaddress", "bindinterface", "addressfamily",
        "pkcs11provider", "securitykeyprovider", "remotecommand", "ciphers", "kexalgorithms", "macs",
        "hostkeyalgorithms", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "proxyusefdpass",
    ]

    /// A condition of a `Host` or `Match` line.
    enum Condition: Sendable {
        case all
        /// `Host` patterns, matched on the name given to ssh.
        case host([String])
        /// `Match` criteria, all of which must hold.
        case match([Criterion])
    }

    struct Criterion: Sendable {
        var keyword: String
        var patterns: [String]
        var negated: Bool
    }

    struct Entry: Sendable {
        /// Every enclosing block's condition (an `Include` inside a block adds one).
        var conditions: [Condition]
        var keyword: String
        var value: String
        var location: SourceLocation
    }

    var entries: [Entry] = []
    var warnings: [InventoryWarning] = []
    /// Names written literally on `Host` lines.
    private var literalHosts: Set<String> = []

    /// nil → `~/.ssh/config` (when it exists) then `/etc/ssh/ssh_config`; "" or "none" → no configuration.
    static func load(path: String?) throws -> SSHConfig? {
        var config = SSHConfig()
        if let path {
            if path.isEmpty || path == "none" { return nil }
            let expanded = InventorySources.expandTilde(path)
            guard FileManager.default.fileExists(atPath: expanded) else {
                throw InventoryError(.io, "ssh_config file not found", file: path)
            }
            try config.read(file: expanded, conditions: [], depth: 0, userConfig: true)
        } else {
            let user = InventorySources.expandTilde("~/.ssh/config")
            if FileManager.default.fileExists(atPath: user) {
                try config.read(file: user, conditions: [], depth: 0, userConfig: true)
            }
            let system = "/etc/ssh/ssh_config"
            if FileManager.default.fileExists(atPath: system) {
                try config.read(file: system, conditions: [], depth: 0, userConfig: false)
            }
        }
        return config
    }

    /// Parses configuration text (used by `load` and by tests).
    static func parse(_ text: String, file: String) throws -> SSHConfig {
        var config = SSHConfig()
        try config.parse(text, file: file, conditions: [], depth: 0, userConfig: true)
        return config
    }

    private mutating func read(file: String, conditions: [Condition], depth: Int, userConfig: Bool) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InventoryError(.io, "cannot read ssh_config file", file: file)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InventoryError(.syntax, "ssh_config file is not valid UTF-8", file: file)
        }
        try parse(text, file: file, conditions: conditions, depth: depth, userConfig: userConfig)
    }

    private mutating func parse(_ text: String, file: String, conditions outer: [Condition], depth: Int,
                                userConfig: Bool) throws {
        var block: Condition = .all
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = SourceLocation(file: file, line: offset + 1, column: 1)
            let line = raw.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            // `Keyword value`, `Keyword=value` or `Keyword = value`.
            guard let split = line.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "=" }) else {
                throw InventoryError(.syntax, "ssh_config: missing argument", at: location, snippet: line)
            }
            let keyword = line[..<split].lowercased()
            var rest = line[split...].trimmingSpaces()
            if rest.hasPrefix("=") { rest = String(rest.dropFirst()).trimmingSpaces() }
            let words: [String]
            do {
                words = try ShellWords.split(rest)
            } catch {
                throw InventoryError(.syntax, "ssh_config: unbalanced quotes", at: location, snippet: line)
            }
            guard !words.isEmpty else {
                throw InventoryError(.syntax, "ssh_config: missing argument", at: location, snippet: line)
            }
            switch keyword {
            case "host":
                block = .host(words)
                for word in words where !word.hasPrefix("!") && !word.contains(where: { $0 == "*" || $0 == "?" }) {
                    literalHosts.insert(word.lowercased())
                }
            case "match":
                block = try Self.matchCondition(words, location: location, line: line)
                if case .match(let criteria) = block {
                    for c in criteria where !["all", "host", "originalhost", "user", "localuser"].contains(c.keyword) {
                        warnings.append(InventoryWarning(
                            "ssh_config: Match \(c.keyword) is not evaluated; the block is treated as not matching",
                            at: location))
                    }
                }
            case "include":
                guard depth < Self.maximumIncludeDepth else {
                    throw InventoryError(.syntax, "ssh_config: Include nested too deeply", at: location, snippet: line)
                }
                for pattern in words {
                    let path = InventorySources.expandTilde(pattern)
                    var matches: [String]
                    if path.hasPrefix("/") {
                        matches = Self.glob(path)
                    } else {
                        // OpenSSH looks in ~/.ssh (or /etc/ssh); failing that, look beside the including file.
                        matches = Self.glob((userConfig ? InventorySources.expandTilde("~/.ssh/") : "/etc/ssh/") + path)
                        if matches.isEmpty {
                            matches = Self.glob(((file as NSString).deletingLastPathComponent as NSString)
                                .appendingPathComponent(path))
                        }
                    }
                    for match in matches {
                        try read(file: match, conditions: outer + [block], depth: depth + 1, userConfig: userConfig)
                    }
                }
            default:
                entries.append(Entry(conditions: outer + [block], keyword: keyword,
                                     value: keyword == "proxycommand" ? rest : words.joined(separator: " "),
                                     location: location))
            }
        }
    }

    private static func matchCondition(_ words: [String], location: SourceLocation, line: String) throws -> Condition {
        var criteria: [Criterion] = []
        var i = 0
        while i < words.count {
            var keyword = words[i].lowercased()
            i += 1
            var negated = false
            if keyword.hasPrefix("!") { negated = true; keyword.removeFirst() }
            switch keyword {
            case "all", "canonical", "final", "localnetwork":
                criteria.append(Criterion(keyword: keyword, patterns: [], negated: negated))
            default:
                guard i < words.count else {
                    throw InventoryError(.syntax, "ssh_config: Match \(keyword) needs an argument", at: location,
                                         snippet: line)
                }
                let patterns = words[i].split(separator: ",").map(String.init)
                i += 1
                criteria.append(Criterion(keyword: keyword, patterns: patterns, negated: negated))
            }
        }
        return .match(criteria)
    }

    private static func glob(_ pattern: String) -> [String] {
        guard pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else {
            return FileManager.default.fileExists(atPath: pattern) ? [pattern] : []
        }
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted()
    }

    /// Whether a `Host` line names this host literally, which makes it a known alias.
    func hasExplicitHost(_ host: String) -> Bool {
        literalHosts.contains(host.lowercased())
    }

    /// The settings for `host` (the name ssh would be given), with `user` if one is already known.
    func settings(for host: String, user: String?) -> Settings {
        var s = Settings()
        let localUser = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        for entry in entries {
            guard entry.conditions.allSatisfy({ holds($0, host: host, settings: s, user: user, localUser: localUser,
                                                      location: entry.location) }) else { continue }
            apply(entry, to: &s, host: host, user: user, localUser: localUser)
        }
        return s
    }

    private func holds(_ condition: Condition, host: String, settings: Settings, user: String?, localUser: String,
                       location: SourceLocation) -> Bool {
        switch condition {
        case .all:
            return true
        case .host(let patterns):
            return Self.matchList(patterns, host.lowercased(), caseInsensitive: true)
        case .match(let criteria):
            for c in criteria {
                var result: Bool
                switch c.keyword {
                case "all": result = true
                case "host":
                    let current = settings.hostName.map { Self.expandTokens($0, host: host) } ?? host
                    result = Self.matchList(c.patterns, current.lowercased(), caseInsensitive: true)
                case "originalhost": result = Self.matchList(c.patterns, host.lowercased(), caseInsensitive: true)
                case "user": result = Self.matchList(c.patterns, user ?? settings.user ?? localUser, caseInsensitive: false)
                case "localuser": result = Self.matchList(c.patterns, localUser, caseInsensitive: false)
                default:
                    // exec, canonical, final, localnetwork, tagged: not evaluated (reported by the resolver).
                    result = false
                }
                if c.negated { result.toggle() }
                if !result { return false }
            }
            return true
        }
    }

    private func apply(_ entry: Entry, to s: inout Settings, host: String, user: String?, localUser: String) {
        let v = entry.value
        func first<T>(_ keyPath: WritableKeyPath<Settings, T?>, _ value: T?, _ name: String) {
            guard s[keyPath: keyPath] == nil, let value else { return }
            s[keyPath: keyPath] = value
            s.origins[name] = entry.location
        }
        switch entry.keyword {
        case "hostname": first(\.hostName, Self.expandTokens(v, host: host), "HostName")
        case "user": first(\.user, v, "User")
        case "port": first(\.port, Int(v), "Port")
        case "identityfile":
            let file = Self.expandPath(v, host: host, user: user ?? s.user ?? localUser, localUser: localUser)
            if !s.identityFiles.contains(file) && v.lowercased() != "none" { s.identityFiles.append(file) }
            if s.origins["IdentityFile"] == nil { s.origins["IdentityFile"] = entry.location }
        case "proxyjump":
            if s.proxyJump == nil && s.proxyCommand == nil { first(\.proxyJump, v, "ProxyJump") }
        case "proxycommand":
            if s.proxyJump == nil && s.proxyCommand == nil {
                first(\.proxyCommand, Self.expandTokens(v, host: host, keepPercentH: true), "ProxyCommand")
            }
        case "userknownhostsfile":
            let file = v.split(separator: " ").first.map(String.init) ?? v
            first(\.userKnownHostsFile, Self.expandPath(file, host: host, user: user ?? s.user ?? localUser,
                                                        localUser: localUser), "UserKnownHostsFile")
        case "stricthostkeychecking": first(\.strictHostKeyChecking, v, "StrictHostKeyChecking")
        // ssh lower-cases the alias, as it does host names.
        case "hostkeyalias": first(\.hostKeyAlias, v.lowercased(), "HostKeyAlias")
        case "checkhostip": first(\.checkHostIP, Self.yesNo(v), "CheckHostIP")
        case "connecttimeout": first(\.connectTimeout, Double(v), "ConnectTimeout")
        default:
            if Self.unsupportedDirectives.contains(entry.keyword) {
                s.unsupported.append((entry.keyword, entry.location))
            }
        }
    }

    /// A yes/no flag as ssh_config spells it; nil for anything else.
    static func yesNo(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "yes", "true": return true
        case "no", "false": return false
        default: return nil
        }
    }

    /// OpenSSH's pattern lists: `*`, `?`, and `!` negation (a negated match rejects).
    static func matchList(_ patterns: [String], _ name: String, caseInsensitive: Bool) -> Bool {
        var positive = false
        for raw in patterns {
            var pattern = caseInsensitive ? raw.lowercased() : raw
            var negated = false
            if pattern.hasPrefix("!") { negated = true; pattern.removeFirst() }
            if NameMatcher.fnmatch(Array(name), Array(pattern), bracketsLiteral: true) {
                if negated { return false }
                positive = true
            }
        }
        return positive
    }

    /// `%h` and `%%` (and `%n`, the name as given).
    static func expandTokens(_ text: String, host: String, keepPercentH: Bool = false) -> String {
        keepPercentH ? expand(text, [:]) : expand(text, ["h": host, "n": host])
    }

    /// `~`, `%d`, `%h`, `%r`, `%u` and `%%` in file names.
    static func expandPath(_ text: String, host: String, user: String, localUser: String) -> String {
        let tokens: [Character: String] = ["d": NSHomeDirectory(), "h": host, "n": host, "r": user, "u": localUser]
        return InventorySources.expandTilde(expand(text, tokens))
    }

    /// OpenSSH's `%x` tokens; `%%` is a percent sign and unknown tokens stay as written.
    private static func expand(_ text: String, _ tokens: [Character: String]) -> String {
        guard text.containsByte("%") else { return text }
        var out = ""
        var chars = text.makeIterator()
        while let c = chars.next() {
            guard c == "%" else { out.append(c); continue }
            guard let t = chars.next() else { out.append("%"); break }
            if t == "%" {
                out.append("%")
            } else if let value = tokens[t] {
                out += value
            } else {
                out += "%" + String(t)
            }
        }
        return out
    }
}
