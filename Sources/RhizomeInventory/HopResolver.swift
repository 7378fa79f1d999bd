/// Builds every host's chain of hops from what was written in front of it
/// (`via`, `mitogen_via`, `ProxyJump`, `ProxyCommand`), checking that the chains
/// form a tree: every hop has one way in, and no chain leads back to itself.
struct HopResolver {
    /// A node of the tree: an inventory host, or a bare `user@host:port`.
    enum Key: Hashable {
        case host(Int)
        case bare(String)
    }

    private struct Node {
        var name: String
        var connection: ConnectionSpec
    }

    /// The hop in front of a node, and what decided it (described only when reporting a conflict).
    private struct Link {
        var previous: Key?
        var chain: [Key]
        var target: Key
        var source: String
        var origin: SourceLocation?
    }

    let graph: InventoryGraph
    let results: [ConnectionResolver.Result]
    let sshConfig: SSHConfig?
    var warnings: [InventoryWarning] = []

    private var nodes: [Key: Node] = [:]
    private var links: [Key: Link] = [:]
    /// Bare hops whose own ssh_config ProxyJump still has to be read.
    private var pendingBare: [Key] = []

    init(graph: InventoryGraph, results: [ConnectionResolver.Result], sshConfig: SSHConfig?) {
        self.graph = graph
        self.results = results
        self.sshConfig = sshConfig
    }

    mutating func resolve() throws -> [[Hop]] {
        for (id, host) in graph.hosts.enumerated() {
            nodes[.host(id)] = Node(name: host.name, connection: results[id].connection)
        }
        for id in graph.hosts.indices {
            try register(front: results[id].front, for: .host(id))
        }
        while let key = pendingBare.popLast() {
            guard case .bare = key, links[key] == nil else { continue }
            try registerOwnFront(of: key)
        }
        var paths: [Key: [Key]] = [:]
        var chains: [[Hop]] = []
        chains.reserveCapacity(graph.hosts.count)
        for id in graph.hosts.indices {
            let path = try path(to: .host(id), memo: &paths)
            chains.append(path.map { key in
                let node = nodes[key] ?? Node(name: "?", connection: ConnectionSpec(address: "?"))
                return Hop(name: node.name, connection: node.connection)
            })
        }
        return chains
    }

    /// Records the chain written in front of `target`.
    private mutating func register(front: ConnectionResolver.Front, for target: Key) throws {
        guard !front.tokens.isEmpty else {
            try link(target, Link(previous: nil, chain: [], target: target, source: "", origin: nil))
            return
        }
        var keys: [Key] = []
        keys.reserveCapacity(front.tokens.count)
        let targetName = nodes[target]?.name ?? "?"
        for token in front.tokens {
            keys.append(try key(for: token, front: front, writtenFor: targetName))
        }
        try link(target, Link(previous: keys.last, chain: keys, target: target, source: front.source, origin: front.origin))
        for index in keys.indices.dropFirst() {
            try link(keys[index], Link(previous: keys[index - 1], chain: keys, target: target, source: front.source,
                                       origin: front.origin))
        }
    }

    private mutating func link(_ key: Key, _ new: Link) throws {
        if let existing = links[key] {
            guard existing.previous != new.previous else { return }
            let name = nodes[key]?.name ?? "?"
            throw InventoryError(.conflictingChains,
                                 "\(name) is reached through two different chains: \(describe(existing)) and \(describe(new))",
                                 at: new.origin ?? existing.origin, snippet: nil)
        }
        links[key] = new
    }

    private func describe(_ link: Link) -> String {
        let targetName = nodes[link.target]?.name ?? "?"
        guard !link.chain.isEmpty else { return "\(targetName) reached directly" }
        let chain = (link.chain.map { nodes[$0]?.name ?? "?" } + [targetName]).joined(separator: " → ")
        return "\(chain) (\(link.source) of \(targetName)" + (link.origin.map { ", \($0.file):\($0.line)" } ?? "") + ")"
    }

    /// A bare hop's own way in: its ssh_config ProxyJump, or directly.
    private mutating func registerOwnFront(of key: Key) throws {
        guard case .bare(let text) = key else { return }
        let parsed = Self.parseBare(text)
        let settings = sshConfig?.settings(for: parsed.host, user: parsed.user) ?? SSHConfig.Settings()
        var front = ConnectionResolver.Front.none
        if let jump = settings.proxyJump {
            front = .init(tokens: SSHArguments.jumpTokens(jump), source: "ssh_config ProxyJump",
                          origin: settings.origins["ProxyJump"], strict: false)
        } else if let command = settings.proxyCommand {
            switch SSHArguments.proxyCommandFront(command, origin: settings.origins["ProxyCommand"],
                                                  source: "ssh_config ProxyCommand") {
            case .success(let f): front = f
            case .failure(let w): warnings.append(InventoryWarning(host: text, "ssh_config: " + w.message, at: w.location))
            }
        }
        try register(front: front, for: key)
    }

    /// Finds or creates the node a token names.
    private mutating func key(for token: String, front: ConnectionResolver.Front, writtenFor target: String) throws -> Key {
        if let id = graph.hostIndex[token] { return .host(id) }
        let parsed = Self.parseBare(token)
        let inventoryHost = graph.hostIndex[parsed.host]
        if front.strict, inventoryHost == nil, !Self.looksLikeAddress(token),
           sshConfig?.hasExplicitHost(parsed.host) != true {
            throw InventoryError(.undefinedHop,
                                 "\(front.source) of \(target) names '\(token)', which is not an inventory host; "
                                     + "write user@host or host:port for a host outside the inventory",
                                 at: front.origin, snippet: token)
        }
        var connection: ConnectionSpec
        if let id = inventoryHost {
            // `user@inventory_host`: that host, as another user or port.
            connection = results[id].connection
            if let user = parsed.user { connection.user = user }
            if let port = parsed.port { connection.port = port }
        } else {
            let settings = sshConfig?.settings(for: parsed.host, user: parsed.user) ?? SSHConfig.Settings()
            connection = ConnectionSpec(address: settings.hostName ?? parsed.host)
            connection.port = parsed.port ?? settings.port ?? 22
            connection.user = parsed.user ?? settings.user
            connection.identityFiles = settings.identityFiles
            connection.knownHostsFile = settings.userKnownHostsFile
            connection.hostKeyChecking = settings.strictHostKeyChecking.flatMap(ConnectionResolver.hostKeyChecking)
            connection.hostKeyAlias = settings.hostKeyAlias
            connection.checkHostIP = settings.checkHostIP ?? false
            connection.connectTimeout = settings.connectTimeout
        }
        let name = (connection.user.map { $0 + "@" } ?? "") + Self.bracketed(parsed.host) + ":\(connection.port)"
        let key = Key.bare(name)
        if nodes[key] == nil {
            nodes[key] = Node(name: name, connection: connection)
            if let id = inventoryHost {
                // Reached the same way as the inventory host it names.
                try register(front: results[id].front, for: key)
            } else {
                pendingBare.append(key)
            }
        }
        return key
    }

    /// The hops in front of `key`, outermost first.
    private func path(to key: Key, memo: inout [Key: [Key]]) throws -> [Key] {
        if let known = memo[key] { return known }
        // Walk back to a node whose path is known (or the controller), watching for loops.
        var walk: [Key] = [key]
        var onWalk: Set<Key> = [key]
        var cursor = links[key]?.previous
        var base: [Key] = []
        while let current = cursor {
            if let known = memo[current] {
                base = known + [current]
                break
            }
            if onWalk.contains(current) {
                let start = walk.firstIndex(of: current) ?? 0
                let loop = walk[start...].reversed().map { nodes[$0]?.name ?? "?" }
                let names = [nodes[current]?.name ?? "?"] + loop.dropLast() + [nodes[current]?.name ?? "?"]
                throw InventoryError(.cycle, "hops form a cycle (each one in front of the next): " + names.joined(separator: " → "),
                                     at: links[current]?.origin, snippet: nil)
            }
            walk.append(current)
            onWalk.insert(current)
            cursor = links[current]?.previous
        }
        // Fill the memo from the outermost node inwards.
        var prefix = base
        for node in walk.reversed() {
            memo[node] = prefix
            prefix.append(node)
        }
        return memo[key] ?? []
    }

    /// `[user@]host[:port]`, with `[v6addr]:port` for IPv6.
    static func parseBare(_ token: String) -> (user: String?, host: String, port: Int?) {
        var rest = Substring(token)
        var user: String?
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            let port = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
            return (user, host, port)
        }
        let colons = rest.filter { $0 == ":" }.count
        if colons == 1, let colon = rest.firstIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) {
            return (user, String(rest[..<colon]), port)
        }
        return (user, String(rest), nil)
    }

    static func looksLikeAddress(_ token: String) -> Bool {
        token.containsByte("@") || token.containsByte(":") || token.containsByte(".")
    }

    static func bracketed(_ host: String) -> String {
        host.containsByte(":") ? "[\(host)]" : host
    }
}
