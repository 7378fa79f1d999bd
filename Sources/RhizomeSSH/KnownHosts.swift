import RhizomeStore

/// How strictly host keys are checked.
public enum HostKeyPolicy: String, Sendable, Hashable, CaseIterable {
    /// The host must be known, with this key.
    case strict
    /// An unknown host is accepted and remembered; a changed key is refused.
    case acceptNew = "accept-new"
    /// Anything is accepted, with a loud warning. For throw-away labs only.
    case off
}

/// The contents of an OpenSSH known_hosts file, held in memory.
///
/// The controller reads its file and hands the lines to relays, so every hop
/// is checked against the controller's knowledge, never a bastion's files.
/// Each line travels with its line number, so a relay names the line a
/// message is about as the controller would.
///
/// Lookups follow OpenSSH (hostfile.c, sshconnect.c): the name is lower-cased,
/// written `[name]:port` off port 22, matched against comma-separated
/// patterns with `*`, `?` and `!` negation or against hashed `|1|salt|hash`
/// names; `@revoked` keys are refused for the hosts they name.
public struct KnownHosts: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public enum Marker: String, Sendable { case none, revoked = "@revoked", certAuthority = "@cert-authority" }
        public var marker: Marker
        /// Comma-separated patterns, or one hashed `|1|salt|hash` name.
        public var hosts: String
        public var key: HostKey
        /// 1-based line in its source.
        public var line: Int
    }

    public private(set) var entries: [Entry] = []
    /// Where the lines came from, for messages.
    public var source: String
    /// The raw lines, for handing to relays.
    public private(set) var lines: [String] = []

    /// - Parameter numbers: the line number of each line in its file, when the
    ///   lines are a selection (as a relay gets them); nil for a whole file.
    public init(lines: [String], numbers: [Int]? = nil, source: String) {
        self.source = source
        for (index, line) in lines.enumerated() {
            self.lines.append(line)
            let number = numbers.flatMap { index < $0.count ? $0[index] : nil } ?? index + 1
            if let entry = KnownHosts.parse(line, number: number) {
                entries.append(entry)
                positions.append(index)
            }
        }
    }

    /// Index in `lines` of each entry.
    private var positions: [Int] = []

    public init(text: String, source: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The newline that ends the last line starts no line of its own: what is appended later is that line's successor.
        if text.hasSuffix("\n") { lines.removeLast() }
        self.init(lines: lines, source: source)
    }

    /// The result of looking a key up.
    public enum Verdict: Hashable, Sendable {
        case match
        /// The host is known with other keys of the same type.
        case mismatch(known: [Entry])
        /// The host is known, but only with keys of other types than the one offered.
        case otherTypes(known: [Entry])
        case unknown
        /// The host is vouched for only by `@cert-authority` lines, which need a host
        /// certificate (libssh2 1.10 negotiates none).
        case certificateAuthorities([Entry])
        case revoked(Entry)
    }

    /// Looks up `key` for `host:port`.
    ///
    /// As OpenSSH does, a host unknown as `[host]:port` is accepted when `host`
    /// alone is listed with this very key.
    public func check(host: String, port: Int, key: HostKey) -> Verdict {
        let verdict = check(name: KnownHosts.name(host: host, port: port), key: key)
        if port != 22, verdict == .unknown, check(name: KnownHosts.name(host: host, port: 22), key: key) == .match {
            return .match
        }
        return verdict
    }

    /// Looks up `key` for a name already in known_hosts form (`[host]:port`, or a HostKeyAlias).
    public func check(name: String, key: HostKey) -> Verdict {
        let candidates = entries(forName: name)
        if let revoked = candidates.first(where: { $0.marker == .revoked && $0.key == key }) {
            return .revoked(revoked)
        }
        let plain = candidates.filter { $0.marker == .none }
        if plain.contains(where: { $0.key == key }) { return .match }
        let sameType = plain.filter { $0.key.type == key.type }
        if !sameType.isEmpty { return .mismatch(known: sameType) }
        if !plain.isEmpty { return .otherTypes(known: plain) }
        let authorities = candidates.filter { $0.marker == .certAuthority }
        if !authorities.isEmpty { return .certificateAuthorities(authorities) }
        return .unknown
    }

    /// How known_hosts writes `host` reached on `port`.
    public static func name(host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// Key types known for `host:port`, to steer the host-key negotiation
    /// towards a key we can verify.
    public func keyTypes(host: String, port: Int) -> [String] {
        let types = keyTypes(name: KnownHosts.name(host: host, port: port))
        return types.isEmpty && port != 22 ? keyTypes(name: host) : types
    }

    /// Key types known for a name in known_hosts form (a HostKeyAlias).
    public func keyTypes(name: String) -> [String] {
        var seen: [String] = []
        for entry in entries(forName: name) where entry.marker == .none && !seen.contains(entry.key.type) {
            seen.append(entry.key.type)
        }
        return seen
    }

    /// The raw lines whose entries concern `host:port` (markers included, and
    /// the port-22 entries `check` falls back on), with their line numbers, to
    /// hand to a relay that checks the host for us.
    public func lines(for host: String, port: Int) -> (lines: [String], numbers: [Int]) {
        var names = [KnownHosts.name(host: host, port: port).lowercased()]
        if port != 22 { names.append(host.lowercased()) }
        return selection { entry in names.contains { KnownHosts.matches(patterns: entry.hosts, name: $0) } }
    }

    /// Every entry's line with its number: for a relay that must also look up an
    /// address only it learns (CheckHostIP), which hashed names keep us from filtering by.
    public var allEntryLines: (lines: [String], numbers: [Int]) { selection { _ in true } }

    private func selection(_ include: (Entry) -> Bool) -> (lines: [String], numbers: [Int]) {
        var selected: [String] = []
        var numbers: [Int] = []
        for (entry, position) in zip(entries, positions) where include(entry) {
            selected.append(lines[position])
            numbers.append(entry.line)
        }
        return (selected, numbers)
    }

    /// The known_hosts line recording `key` for `host:port`.
    public static func line(host: String, port: Int, key: HostKey) -> String {
        "\(name(host: host, port: port)) \(key.knownHostsText)"
    }

    /// Adds a line (after accept-new), numbered after the last line held.
    public mutating func append(_ line: String) {
        let number = lines.count + 1
        lines.append(line)
        if let entry = KnownHosts.parse(line, number: number) {
            entries.append(entry)
            positions.append(lines.count - 1)
        }
    }

    // MARK: Matching

    func entries(for host: String, port: Int) -> [Entry] {
        entries(forName: KnownHosts.name(host: host, port: port))
    }

    func entries(forName name: String) -> [Entry] {
        // Lower-cased as ssh does before any lookup: hashed names are of the lower-case form.
        let name = name.lowercased()
        return entries.filter { KnownHosts.matches(patterns: $0.hosts, name: name) }
    }

    static func matches(patterns: String, name: String) -> Bool {
        if patterns.hasPrefix("|1|") { return matchesHashed(patterns, name: name) }
        var matched = false
        for pattern in patterns.split(separator: ",") {
            if pattern.hasPrefix("!") {
                if wildcardMatch(pattern.dropFirst(), name) { return false }
            } else if wildcardMatch(pattern[...], name) {
                matched = true
            }
        }
        return matched
    }

    static func matchesHashed(_ field: String, name: String) -> Bool {
        let parts = field.split(separator: "|", omittingEmptySubsequences: false)
        // "", "1", salt, hash
        guard parts.count == 4, let salt = Base64.decode(String(parts[2])), let hash = Base64.decode(String(parts[3])) else {
            return false
        }
        return HMACSHA1.authenticationCode(key: salt, data: Array(name.utf8)) == hash
    }

    /// `*` and `?` glob, case-insensitive as OpenSSH matches host names.
    static func wildcardMatch(_ pattern: Substring, _ name: String) -> Bool {
        let p = Array(pattern.lowercased().utf8)
        let n = Array(name.lowercased().utf8)
        var pi = 0, ni = 0, star = -1, mark = 0
        while ni < n.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == n[ni]) {
                pi += 1; ni += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ni; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ni = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    static func parse(_ line: String, number: Int) -> Entry? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = fields.first, !first.hasPrefix("#") else { return nil }
        var index = 0
        var marker = Entry.Marker.none
        if first.hasPrefix("@") {
            guard let m = Entry.Marker(rawValue: String(first)) else { return nil }
            marker = m
            index = 1
        }
        guard fields.count >= index + 3, let blob = Base64.decode(String(fields[index + 2])), !blob.isEmpty else { return nil }
        return Entry(marker: marker, hosts: String(fields[index]),
                     key: HostKey(type: String(fields[index + 1]), blob: blob), line: number)
    }
}
