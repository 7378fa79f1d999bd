import Foundation

/// Host names with ranges and ports, as Ansible's inventory plugins read them:
/// `web[01:20].dc1`, `db-[a:f]`, `node[0:10:2]`, `host:2222`, `[::1]:22`.
enum HostRange {
    /// The most hosts one range expression may produce; larger ones are errors rather than memory exhaustion.
    static let maximumExpansion = 100_000

    /// Ansible's `_expand_hostpattern`: splits off a port when the rest is a valid
    /// address or host name, then expands ranges.
    static func expand(_ pattern: String) throws(HostRangeError) -> (hosts: [String], port: Int?) {
        let (host, port) = splitPort(pattern)
        if host.containsByte("[") {
            var result: [String] = []
            try expandRanges(host, into: &result)
            return (result, port)
        }
        return ([host], port)
    }

    /// `parse_address(pattern, allow_ranges=True)`, falling back to the whole text without a port.
    static func splitPort(_ pattern: String) -> (host: String, port: Int?) {
        // Without a colon there is no port, whether or not the name is valid.
        guard pattern.containsByte(":") else { return (pattern, nil) }
        return (try? parseAddress(pattern, allowRanges: true)) ?? (pattern, nil)
    }

    struct InvalidAddress: Error {}

    /// Ansible's `parse_address`: a host name, IPv4 or IPv6 address (ranges allowed
    /// when asked), with an optional `:port` (`[addr]:port` for IPv6).
    static func parseAddress(_ text: String, allowRanges: Bool) throws(InvalidAddress) -> (host: String, port: Int?) {
        var address = text
        var port: Int?
        for regex in [Patterns.shared.bracketedHostPort, Patterns.shared.hostPort] {
            let range = NSRange(address.startIndex..., in: address)
            if let m = regex?.firstMatch(in: address, range: range),
               let hostRange = Range(m.range(at: 1), in: address),
               let portRange = Range(m.range(at: 2), in: address) {
                guard let p = Int(address[portRange]) else { throw InvalidAddress() }
                port = p
                address = String(address[hostRange])
            }
        }
        let range = NSRange(address.startIndex..., in: address)
        let valid = [Patterns.shared.ipv4, Patterns.shared.ipv6, Patterns.shared.hostname].contains {
            $0?.firstMatch(in: address, range: range) != nil
        }
        guard valid else { throw InvalidAddress() }
        if !allowRanges && address.containsByte("[") { throw InvalidAddress() }
        return (address, port)
    }

    /// Ansible's `expand_hostname_range`. Python expands one bracket at a time and
    /// recurses on the rest; since the text before a bracket and the values it yields
    /// never hold brackets, that is a cartesian product of the brackets' values, which
    /// is counted before anything is built.
    static func expandRanges(_ line: String, into result: inout [String]) throws(HostRangeError) {
        var segments: [(head: String, values: [String])] = []
        var remaining = line
        var total = 1
        while remaining.containsByte("[") {
            // Python: line.replace('[', '|', 1).replace(']', '|', 1).split('|') must give exactly three parts.
            let parts = remaining.replacingFirst("[", with: "|").replacingFirst("]", with: "|")
                .split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                throw HostRangeError("unbalanced or nested brackets in host range", text: line)
            }
            let values = try rangeValues(String(parts[1]))
            // An empty range yields no hosts, and Python never looks at the brackets after it.
            if values.isEmpty { return }
            let (product, overflow) = total.multipliedReportingOverflow(by: values.count)
            guard !overflow, product + result.count <= maximumExpansion else {
                throw HostRangeError("host range expands to more than \(maximumExpansion) hosts", text: line)
            }
            total = product
            segments.append((String(parts[0]), values))
            remaining = String(parts[2])
        }
        var names = [""]
        names.reserveCapacity(total)
        for (head, values) in segments {
            var next: [String] = []
            next.reserveCapacity(names.count * values.count)
            for name in names {
                for value in values { next.append(name + head + value) }
            }
            names = next
        }
        result.reserveCapacity(result.count + names.count)
        for name in names { result.append(name + remaining) }
    }

    /// The values of one `[begin:end]` or `[begin:end:step]`, formatted as Python formats them.
    private static func rangeValues(_ body: String) throws(HostRangeError) -> [String] {
        let bounds = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 || bounds.count == 3 else {
            throw HostRangeError("host range must be begin:end or begin:end:step", text: "[\(body)]")
        }
        var begin = bounds[0]
        let end = bounds[1]
        let stepText = bounds.count == 3 ? bounds[2] : "1"
        if begin.isEmpty { begin = "0" }
        guard !end.isEmpty else { throw HostRangeError("host range must specify an end value", text: "[\(body)]") }
        var width = 0
        if begin.hasPrefix("0") && begin.count > 1 {
            width = begin.count
            guard width == end.count else {
                throw HostRangeError("host range must specify equal-length begin and end formats", text: "[\(body)]")
            }
        }
        guard let step = pythonInt(stepText) else {
            throw HostRangeError("host range step is not a number", text: "[\(body)]")
        }
        let letterText = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if let ib = letterIndex(begin, in: letterText), let ie = letterIndex(end, in: letterText) {
            // Python's str.index finds substrings, so `ab` is accepted as `a`; only the index matters.
            guard ib <= ie else { throw HostRangeError("host range must have begin <= end", text: "[\(body)]") }
            guard step != 0 else { throw HostRangeError("host range step must not be zero", text: "[\(body)]") }
            guard step > 0 else { return [] }
            let letters = Array(letterText)
            return stride(from: ib, through: ie, by: step).map { String(letters[$0]) }
        }
        guard let lo = pythonInt(begin), let hi = pythonInt(end) else {
            throw HostRangeError("host range bounds must be numbers or single letters", text: "[\(body)]")
        }
        guard step != 0 else { throw HostRangeError("host range step must not be zero", text: "[\(body)]") }
        // Python's range(lo, hi + 1, step).
        let (upper, overflow) = hi.addingReportingOverflow(1)
        guard !overflow else { throw HostRangeError("host range bound is too large", text: "[\(body)]") }
        let span = step > 0 ? upper - lo : lo - upper
        guard span > 0 else { return [] }
        let count = (span - 1) / abs(step) + 1
        guard count <= maximumExpansion else {
            throw HostRangeError("host range expands to more than \(maximumExpansion) hosts", text: "[\(body)]")
        }
        return (0..<count).map { i in
            let text = String(lo + i * step)
            return width > 0 ? zfill(text, width) : text
        }
    }

    private static func letterIndex(_ text: String, in letters: String) -> Int? {
        guard !text.isEmpty, let range = letters.range(of: text) else { return nil }
        return letters.distance(from: letters.startIndex, to: range.lowerBound)
    }

    /// Python's `str.zfill`.
    static func zfill(_ s: String, _ width: Int) -> String {
        guard s.count < width else { return s }
        if s.hasPrefix("-") || s.hasPrefix("+") {
            return String(s.prefix(1)) + String(repeating: "0", count: width - s.count) + s.dropFirst()
        }
        return String(repeating: "0", count: width - s.count) + s
    }

    /// Python's `int()` on text: surrounding whitespace, a sign, and `_` between digits.
    static func pythonInt(_ text: String) -> Int? {
        var s = Substring(text.trimmingSpaces())
        var negative = false
        if let f = s.first, f == "-" || f == "+" { negative = f == "-"; s = s.dropFirst() }
        guard let first = s.first, let last = s.last, first.isASCII, first.isNumber, last.isASCII, last.isNumber,
              !s.contains("__") else { return nil }
        let digits = s.filter { $0 != "_" }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(digits) else { return nil }
        return negative ? -v : v
    }

    /// The regular expressions of `ansible.parsing.utils.addresses`, compiled once.
    final class Patterns: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe
        static let shared = Patterns()

        let bracketedHostPort: NSRegularExpression?
        let hostPort: NSRegularExpression?
        let ipv4: NSRegularExpression?
        let ipv6: NSRegularExpression?
        let hostname: NSRegularExpression?

        private init() {
            let numericRange = #"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]"#
            let hexRange = #"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]"#
            let alphanumericRange = #"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]"#
            let v6 = "(?:[0-9a-f]{1,4}|\(hexRange))"
            let v4 = "(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\(numericRange))"
            let label = #"(?:[\w]|"# + alphanumericRange + #")(?:[\w_-]|"# + alphanumericRange + #")*(?<![_-])"#
            let ipv6Body = [
                "(?:\(v6):){7}\(v6)",
                "(?:\(v6):){1,6}:",
                "(?:\(v6):)(?::\(v6)){1,6}",
                "(?:\(v6):){2}(?::\(v6)){1,5}",
                "(?:\(v6):){3}(?::\(v6)){1,4}",
                "(?:\(v6):){4}(?::\(v6)){1,3}",
                "(?:\(v6):){5}(?::\(v6)){1,2}",
                "(?:\(v6):){6}(?::\(v6))",
                ":(?::\(v6)){1,6}",
                "\(v6)?::",
                "(?:0:){6}(?:\(v6)\\.){3}\(v6)",
                "::(?:ffff:)?(?:\(v6)\\.){3}\(v6)",
                "(?:0:){5}ffff:(?:\(v6)\\.){3}\(v6)",
            ].joined(separator: "|")
            func compile(_ pattern: String, caseInsensitive: Bool = false) -> NSRegularExpression? {
                // Python's `$` also matches before a final newline.
                let anchored = "^(?:" + pattern + ")\\n?$"
                let options: NSRegularExpression.Options = caseInsensitive ? [.caseInsensitive] : []
                // The patterns are constants; the tests check that each one compiles.
                return try? NSRegularExpression(pattern: anchored, options: options)
            }
            bracketedHostPort = compile(#"\[(.+)\]:([0-9]+)"#)
            hostPort = compile(#"((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)"#)
            ipv4 = compile("(?:\(v4)\\.){3}\(v4)", caseInsensitive: true)
            ipv6 = compile("(\(ipv6Body))", caseInsensitive: true)
            hostname = compile("\(label)(?:\\.\(label))*", caseInsensitive: true)
        }
    }
}

/// A host range that cannot be expanded.
struct HostRangeError: Error {
    var message: String
    var text: String
    init(_ message: String, text: String) {
        self.message = message
        self.text = text
    }
}

extension String {
    func replacingFirst(_ target: Character, with replacement: Character) -> String {
        guard let i = firstIndex(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(i...i, with: String(replacement))
        return copy
    }
}
