import Foundation

/// Ansible host patterns: `all`, `*`, groups, hosts, `a:b` / `a,b` (union),
/// `a:&b` (intersection), `a:!b` (exclusion), shell wildcards, `~regex`, and
/// subscripts (`web[0]`, `web[1:3]`, `web[-1]`).
enum HostPattern {
    /// Ansible's `split_host_pattern`: commas split when present; otherwise colons
    /// split, except inside brackets and in something that parses as an address (`::1`, `host:22`).
    static func split(_ pattern: String) -> [String] {
        let parts: [String]
        if pattern.containsByte(",") {
            parts = pattern.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        } else if (try? HostRange.parseAddress(pattern, allowRanges: true)) != nil {
            parts = [pattern]
        } else {
            // Runs of (anything but whitespace, ':', '[', ']') or complete [...] groups.
            var result: [String] = []
            var current = ""
            var index = pattern.startIndex
            while index < pattern.endIndex {
                let c = pattern[index]
                if c == "[" {
                    if let close = pattern[index...].firstIndex(of: "]") {
                        current += pattern[index...close]
                        index = pattern.index(after: close)
                        continue
                    }
                    if !current.isEmpty { result.append(current); current = "" }
                } else if c == ":" || c == "]" || c.isWhitespace {
                    if !current.isEmpty { result.append(current); current = "" }
                } else {
                    current.append(c)
                }
                index = pattern.index(after: index)
            }
            if !current.isEmpty { result.append(current) }
            parts = result
        }
        return parts.map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }

    /// `--limit`: like a pattern, and `@file` reads one pattern per line (a retry file).
    static func limitPatterns(_ limit: String) throws -> [String] {
        var result: [String] = []
        for part in split(limit) {
            if part.hasPrefix("@") {
                let path = InventorySources.expandTilde(String(part.dropFirst()))
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    throw InventoryError(.io, "limit file not found", file: path)
                }
                guard !isDirectory.boolValue else {
                    throw InventoryError(.io, "a limit starting with '@' must be a file, not a directory", file: path)
                }
                guard let data = FileManager.default.contents(atPath: path),
                      let text = String(data: data, encoding: .utf8) else {
                    throw InventoryError(.io, "cannot read limit file", file: path)
                }
                result += text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            } else {
                result.append(part)
            }
        }
        return result
    }

    /// Ansible's `order_patterns`: plain patterns, then `&`, then `!`; `all` when only modifiers are given.
    static func ordered(_ patterns: [String]) -> [String] {
        var regular: [String] = [], intersections: [String] = [], exclusions: [String] = []
        for p in patterns where !p.isEmpty {
            if p.hasPrefix("!") { exclusions.append(p) } else if p.hasPrefix("&") { intersections.append(p) } else { regular.append(p) }
        }
        if regular.isEmpty { regular = ["all"] }
        return regular + intersections + exclusions
    }

    /// A subscript after a pattern: `[3]`, `[-1]`, `[1:3]`, `[2:]`.
    enum Subscript: Equatable {
        case index(Int)
        case range(Int, Int?)
    }

    /// Ansible's `_split_subscript` (no subscripts on `~regex`).
    static func splitSubscript(_ pattern: String) -> (String, Subscript?) {
        guard !pattern.hasPrefix("~"), pattern.hasSuffix("]"), let open = pattern.lastIndex(of: "["),
              open > pattern.startIndex else { return (pattern, nil) }
        let body = pattern[pattern.index(after: open)..<pattern.index(before: pattern.endIndex)]
        let base = String(pattern[..<open])
        let isDigits: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        if isDigits(body) || (body.hasPrefix("-") && isDigits(body.dropFirst())) {
            guard let i = Int(body) else { return (pattern, nil) }
            return (base, .index(i))
        }
        guard let sep = body.firstIndex(where: { $0 == ":" || $0 == "-" }) else { return (pattern, nil) }
        let start = body[..<sep], end = body[body.index(after: sep)...]
        guard isDigits(start), end.isEmpty || isDigits(end), let s = Int(start) else { return (pattern, nil) }
        return (base, .range(s, end.isEmpty ? nil : Int(end)))
    }

    /// Applies a subscript the way Ansible does (inclusive ranges, Python slicing).
    static func apply(_ selector: Subscript?, to hosts: [Int], pattern: String) throws -> [Int] {
        guard let selector, !hosts.isEmpty else { return hosts }
        switch selector {
        case .index(let i):
            let index = i < 0 ? hosts.count + i : i
            guard index >= 0, index < hosts.count else {
                throw InventoryError(.pattern, "no hosts matched the subscripted pattern '\(pattern)'")
            }
            return [hosts[index]]
        case .range(let start, let endOrNil):
            // Python: `if end:` treats 0 as absent, giving a single index.
            guard let end = endOrNil, end != 0 else {
                if endOrNil == nil {
                    return Array(hosts[min(start, hosts.count)...])
                }
                guard start < hosts.count else {
                    throw InventoryError(.pattern, "no hosts matched the subscripted pattern '\(pattern)'")
                }
                return [hosts[start]]
            }
            let lower = min(start, hosts.count), upper = min(end + 1, hosts.count)
            return lower < upper ? Array(hosts[lower..<upper]) : []
        }
    }
}

/// A host pattern matcher over names: shell wildcards (`fnmatch`) or `~regex`.
struct NameMatcher {
    private let regex: NSRegularExpression?
    private let glob: [Character]?

    init(_ pattern: String) throws {
        if pattern.hasPrefix("~") {
            do {
                regex = try NSRegularExpression(pattern: String(pattern.dropFirst()))
            } catch {
                throw InventoryError(.pattern, "invalid regular expression in host pattern", snippet: pattern)
            }
            glob = nil
        } else {
            regex = nil
            glob = Array(pattern)
        }
    }

    /// Python's `re.match`: the regex must match at the start; globs must match the whole name.
    func matches(_ name: String) -> Bool {
        if let regex {
            let range = NSRange(name.startIndex..., in: name)
            return regex.firstMatch(in: name, options: [.anchored], range: range) != nil
        }
        return Self.fnmatch(Array(name), glob ?? [])
    }

    /// Python's `fnmatch.fnmatchcase`: `*`, `?`, `[seq]`, `[!seq]`.
    static func fnmatch(_ name: [Character], _ pattern: [Character], bracketsLiteral: Bool = false) -> Bool {
        var n = 0, p = 0
        var starP = -1, starN = 0
        while n < name.count {
            if p < pattern.count {
                let c = pattern[p]
                if c == "*" {
                    starP = p
                    starN = n
                    p += 1
                    continue
                }
                if c == "?" {
                    n += 1; p += 1
                    continue
                }
                if c == "[", !bracketsLiteral, let (matched, next) = bracket(pattern, p, name[n]) {
                    if matched { n += 1; p = next; continue }
                } else if c == name[n] {
                    n += 1; p += 1
                    continue
                }
            }
            if starP >= 0 {
                p = starP + 1
                starN += 1
                n = starN
                continue
            }
            return false
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// A `[...]` set at `start`: whether `c` is in it and where the pattern continues;
    /// nil when the bracket is not closed (then `[` is literal, as in Python).
    private static func bracket(_ pattern: [Character], _ start: Int, _ c: Character) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pattern.count, pattern[i] == "!" { negate = true; i += 1 }
        if i < pattern.count, pattern[i] == "]" { i += 1 }
        while i < pattern.count, pattern[i] != "]" { i += 1 }
        guard i < pattern.count else { return nil }
        var j = start + 1 + (negate ? 1 : 0)
        var found = false
        var first = true
        while j < i {
            let lo = pattern[j]
            if j + 2 < i, pattern[j + 1] == "-" {
                let hi = pattern[j + 2]
                if lo <= c && c <= hi { found = true }
                j += 3
            } else {
                if lo == c && (lo != "]" || first) { found = true }
                j += 1
            }
            first = false
        }
        return (found != negate, i + 1)
    }
}

/// Evaluates split patterns against an inventory (Ansible's `_evaluate_patterns`).
struct PatternEvaluator {
    /// Stands for the implicit `localhost` that Ansible adds when a pattern names it and the inventory does not.
    static let implicitLocalhostID = -1
    static let localhostNames: Set<String> = ["localhost", "127.0.0.1", "::1"]

    let inventory: Inventory
    var unmatched: [String] = []
    private var cache: [String: [Int]] = [:]
    private var groupHostCache: [Int: [Int]] = [:]

    init(inventory: Inventory) {
        self.inventory = inventory
    }

    mutating func evaluate(_ patterns: [String]) throws -> [Int] {
        var hosts: [Int] = []
        var present: Set<Int> = []
        for p in HostPattern.ordered(patterns) {
            if let id = inventory.graph.hostIndex[p] {
                hosts.append(id)
                present.insert(id)
                continue
            }
            let matched = try matchOne(p)
            if p.hasPrefix("!") {
                let excluded = Set(matched)
                hosts.removeAll { excluded.contains($0) }
                present.subtract(excluded)
            } else if p.hasPrefix("&") {
                let kept = Set(matched)
                hosts.removeAll { !kept.contains($0) }
                present.formIntersection(kept)
            } else {
                for id in matched where !present.contains(id) {
                    hosts.append(id)
                    present.insert(id)
                }
            }
        }
        return hosts
    }

    private mutating func matchOne(_ raw: String) throws -> [Int] {
        var pattern = raw
        if pattern.hasPrefix("&") || pattern.hasPrefix("!") { pattern.removeFirst() }
        if let cached = cache[pattern] { return cached }
        guard !pattern.isEmpty else { return [] }
        let (expression, selector) = HostPattern.splitSubscript(pattern)
        let hosts = try HostPattern.apply(selector, to: try enumerate(expression), pattern: pattern)
        cache[pattern] = hosts
        return hosts
    }

    /// Ansible's `_enumerate_matches`: matching groups contribute all their hosts;
    /// hosts are matched by name when no group matched or the pattern has wildcards.
    private mutating func enumerate(_ pattern: String) throws -> [Int] {
        let graph = inventory.graph
        var results: [Int] = []
        var matchedGroup = false
        let isRegex = pattern.hasPrefix("~")
        let isGlob = isRegex || pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
        // Without wildcards a glob only matches its own text, so a dictionary lookup does.
        let matcher: NameMatcher? = isGlob ? try NameMatcher(pattern) : nil
        if let matcher {
            for (id, group) in graph.groups.enumerated() where matcher.matches(group.name) {
                matchedGroup = true
                results += hostsOfGroup(id)
            }
        } else if let id = graph.groupIndex[pattern] {
            matchedGroup = true
            results += hostsOfGroup(id)
        }
        if !matchedGroup || isGlob || pattern.containsByte(".") {
            if let matcher {
                for (id, host) in graph.hosts.enumerated() where matcher.matches(host.name) {
                    results.append(id)
                }
            } else if let id = graph.hostIndex[pattern] {
                results.append(id)
            }
        }
        if results.isEmpty, PatternEvaluator.localhostNames.contains(pattern) {
            results.append(Self.implicitLocalhostID)
        }
        if results.isEmpty, !matchedGroup, pattern != "all" {
            unmatched.append(pattern)
        }
        return results
    }

    /// Ansible's `Group.get_hosts`: the group, then its descendants breadth-first, each one's own hosts in order.
    mutating func hostsOfGroup(_ group: Int) -> [Int] {
        if let cached = groupHostCache[group] { return cached }
        let result = inventory.hostsOfGroup(group)
        groupHostCache[group] = result
        return result
    }
}

extension Inventory {
    func hostsOfGroup(_ group: Int) -> [Int] {
        var order = [group]
        var seenGroups: Set<Int> = [group]
        var index = 0
        while index < order.count {
            for child in graph.groups[order[index]].children where seenGroups.insert(child).inserted {
                order.append(child)
            }
            index += 1
        }
        var hosts: [Int] = []
        var seen: Set<Int> = []
        for g in order {
            for h in graph.groups[g].hosts where seen.insert(h).inserted {
                hosts.append(h)
            }
        }
        return hosts
    }
}
