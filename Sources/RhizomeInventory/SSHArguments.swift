/// What Rhizome can honour from `ansible_ssh_common_args`, `ansible_ssh_extra_args`
/// and `ansible_ssh_args`: `-o Option=value` for the options below, `-J`, `-p`,
/// `-l` and `-i`. `ProxyJump` and `ProxyCommand "ssh -W %h:%p …"` become hops.
struct SSHArguments {
    var front = ConnectionResolver.Front.none
    var user: String?
    var port: Int?
    var hostName: String?
    var identityFiles: [String] = []
    var userKnownHostsFile: String?
    var strictHostKeyChecking: String?
    var hostKeyAlias: String?
    var checkHostIP: Bool?
    var connectTimeout: Double?
    var warnings: [InventoryWarning] = []

    /// Options that only tune OpenSSH's own connection sharing or logging; Rhizome's
    /// persistent links make them moot, so they are dropped without a warning.
    static let irrelevantOptions: Set<String> = [
        "controlmaster", "controlpersist", "controlpath", "loglevel", "compression",
        "serveraliveinterval", "serveralivecountmax", "tcpkeepalive",
    ]
    /// Flags that change nothing Rhizome does.
    static let irrelevantFlags: Set<Character> = ["q", "v", "C", "T", "t", "n", "x"]
    /// Flags of ssh(1) that take an argument.
    static let flagsWithArgument: Set<Character> = [
        "B", "b", "c", "D", "E", "e", "F", "I", "i", "J", "L", "l", "m", "O", "o", "P", "p", "Q", "R", "S", "W", "w",
    ]

    static let variables = ["ansible_ssh_args", "ansible_ssh_common_args", "ansible_ssh_extra_args"]

    static func parse(vars: VariableTable, host: String) throws -> SSHArguments {
        var result = SSHArguments()
        // Ansible puts common args before extra args, and OpenSSH keeps the first value of an option.
        for key in variables {
            guard let value = vars.value(key), value != .null else { continue }
            guard let text = value.scalarText else {
                throw InventoryError(.invalidValue, "\(key) of host '\(host)' must be text", at: vars.origin(key))
            }
            let words: [String]
            do {
                words = try ShellWords.split(text)
            } catch let error as ShellWords.Unbalanced {
                throw InventoryError(.invalidValue, "\(key) of host '\(host)': \(error.message)", at: vars.origin(key),
                                     snippet: text)
            }
            result.apply(words, source: key, origin: vars.origin(key), host: host)
        }
        return result
    }

    mutating func apply(_ words: [String], source: String, origin: SourceLocation?, host: String) {
        var i = 0
        func warn(_ message: String) {
            warnings.append(InventoryWarning(host: host, "\(source): \(message)", at: origin))
        }
        while i < words.count {
            let word = words[i]
            i += 1
            guard word.hasPrefix("-"), word.count >= 2 else {
                warn("'\(word)' is not an ssh option and is ignored")
                continue
            }
            var flags = Array(word.dropFirst())
            while let flag = flags.first {
                flags.removeFirst()
                if Self.flagsWithArgument.contains(flag) {
                    var argument = String(flags)
                    flags = []
                    if argument.isEmpty {
                        guard i < words.count else {
                            warn("-\(flag) needs an argument")
                            break
                        }
                        argument = words[i]
                        i += 1
                    }
                    switch flag {
                    case "o": option(argument, source: source, origin: origin, host: host)
                    case "J": setJump(argument, source: "-J in \(source)", origin: origin)
                    case "p":
                        if port == nil { port = Int(argument) }
                        if Int(argument) == nil { warn("-p \(argument) is not a port number") }
                    case "l": if user == nil { user = argument }
                    case "i": identityFiles.append(argument)
                    default: warn("ssh option -\(flag) \(argument) is not supported and is ignored")
                    }
                } else if !Self.irrelevantFlags.contains(flag) {
                    warn("ssh flag -\(flag) is not supported and is ignored")
                }
            }
        }
    }

    private mutating func option(_ text: String, source: String, origin: SourceLocation?, host: String) {
        func warn(_ message: String) {
            warnings.append(InventoryWarning(host: host, "\(source): \(message)", at: origin))
        }
        // `Key=value`, `Key value` or `Key = value`.
        let trimmed = text.trimmingSpaces()
        guard let split = trimmed.firstIndex(where: { $0 == "=" || $0 == " " || $0 == "\t" }) else {
            warn("-o \(text) has no value")
            return
        }
        let key = trimmed[..<split].lowercased()
        var value = trimmed[trimmed.index(after: split)...].trimmingSpaces()
        if value.hasPrefix("=") { value = String(value.dropFirst()).trimmingSpaces() }
        value = ExtraVars.unquote(value)
        switch key {
        case "proxyjump":
            setJump(value, source: "ProxyJump in \(source)", origin: origin)
        case "proxycommand":
            guard front.tokens.isEmpty, front.source.isEmpty else { return }
            switch Self.proxyCommandFront(value, origin: origin, source: "ProxyCommand in \(source)") {
            case .success(let f): front = f
            case .failure(let w): warn(w.message)
            }
        case "port":
            if port == nil { port = Int(value) }
            if Int(value) == nil { warn("Port=\(value) is not a port number") }
        case "user": if user == nil { user = value }
        case "hostname": if hostName == nil { hostName = value }
        case "identityfile": identityFiles.append(value)
        case "userknownhostsfile":
            if userKnownHostsFile == nil { userKnownHostsFile = value.split(separator: " ").first.map(String.init) }
        case "stricthostkeychecking": if strictHostKeyChecking == nil { strictHostKeyChecking = value }
        case "hostkeyalias": if hostKeyAlias == nil { hostKeyAlias = value.lowercased() }
        case "checkhostip":
            if checkHostIP == nil { checkHostIP = SSHConfig.yesNo(value) }
            if SSHConfig.yesNo(value) == nil { warn("CheckHostIP=\(value) is not yes or no") }
        case "connecttimeout":
            if connectTimeout == nil { connectTimeout = Double(value) }
            if Double(value) == nil { warn("ConnectTimeout=\(value) is not a number") }
        default:
            if !Self.irrelevantOptions.contains(key) {
                warn("ssh option \(trimmed[..<split])=\(value) is not supported and is ignored")
            }
        }
    }

    private mutating func setJump(_ jump: String, source: String, origin: SourceLocation?) {
        // OpenSSH keeps the first ProxyJump/ProxyCommand it sees.
        guard front.tokens.isEmpty, front.source.isEmpty else { return }
        front = ConnectionResolver.Front(tokens: Self.jumpTokens(jump), source: source, origin: origin, strict: false)
    }

    /// `a,user@b:2222,ssh://c` → hops, outermost first; `none` → none.
    static func jumpTokens(_ text: String) -> [String] {
        if text.trimmingSpaces().lowercased() == "none" { return [] }
        return text.split(separator: ",").map { token in
            var t = token.trimmingSpaces()
            if t.hasPrefix("ssh://") { t = String(t.dropFirst(6)) }
            return t
        }.filter { !$0.isEmpty }
    }

    struct Unsupported: Error {
        var message: String
        var location: SourceLocation?
    }

    /// Understands `ssh [options] -W %h:%p [user@]host` and `ssh [options] [user@]host nc %h %p`.
    static func proxyCommandFront(_ command: String, origin: SourceLocation?, source: String)
        -> Result<ConnectionResolver.Front, Unsupported> {
        if command.trimmingSpaces().lowercased() == "none" {
            return .success(ConnectionResolver.Front(tokens: [], source: source, origin: origin, strict: false))
        }
        let unsupported = Unsupported(
            message: "ProxyCommand '\(command)' is not of the form 'ssh -W %h:%p [user@]host' and is ignored; "
                + "write it as ProxyJump or use via", location: origin)
        guard var words = try? ShellWords.split(command) else { return .failure(unsupported) }
        if words.first == "exec" { words.removeFirst() }
        guard let program = words.first, program == "ssh" || program.hasSuffix("/ssh") else { return .failure(unsupported) }
        words.removeFirst()
        var user: String?
        var port: String?
        var destination: String?
        var forwards = false
        var inner: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            // ssh accepts options before and after the destination, up to the remote command.
            if word.hasPrefix("-"), word.count >= 2 {
                let flag = word[word.index(after: word.startIndex)]
                var argument = String(word.dropFirst(2))
                if flagsWithArgument.contains(flag) {
                    if argument.isEmpty {
                        guard i < words.count else { return .failure(unsupported) }
                        argument = words[i]
                        i += 1
                    }
                    switch flag {
                    case "W":
                        guard argument.contains("%h") else { return .failure(unsupported) }
                        forwards = true
                    case "l": user = argument
                    case "p": port = argument
                    case "J": inner = jumpTokens(argument)
                    case "o":
                        let parts = argument.split(maxSplits: 1, whereSeparator: { $0 == "=" || $0 == " " })
                        if parts.count == 2 {
                            switch parts[0].lowercased() {
                            case "user": user = String(parts[1])
                            case "port": port = String(parts[1])
                            case "proxyjump": inner = jumpTokens(String(parts[1]))
                            default: break
                            }
                        }
                    default: break
                    }
                }
                continue
            }
            if destination == nil {
                destination = word
                continue
            }
            // `host nc %h %p`
            if ["nc", "ncat", "netcat"].contains(word), words[i...].contains("%h") {
                forwards = true
                break
            }
            return .failure(unsupported)
        }
        guard forwards, var hop = destination else { return .failure(unsupported) }
        if let user, !hop.containsByte("@") { hop = user + "@" + hop }
        if let port, !hop.hasSuffix(":" + port) { hop += ":" + port }
        return .success(ConnectionResolver.Front(tokens: inner + [hop], source: source, origin: origin, strict: false))
    }
}
