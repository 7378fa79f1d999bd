import Foundation
import Yams

/// Turns Yams nodes into `InventoryValue`s with the typing Ansible gets from
/// PyYAML: YAML 1.1 implicit types (`yes` is true, `010` is 8, `1e3` is text),
/// merge keys, and Ansible's `!unsafe` and `!vault` tags.
struct YAMLValues {
    /// Guards against alias bombs: no document is allowed to expand beyond this many nodes.
    static let maximumNodes = 5_000_000

    let file: String
    private var budget = YAMLValues.maximumNodes

    init(file: String, maximumNodes: Int = YAMLValues.maximumNodes) {
        self.file = file
        self.budget = maximumNodes
    }

    /// Tag that Yams gives untagged plain scalars: typing them is left to `resolvePlain`
    /// (PyYAML's rules, not Yams's), and one trivial rule keeps Yams's duplicate-key check cheap.
    static let implicitTag = "!rhizome-implicit"
    static let resolver: Resolver = {
        guard let rule = try? Resolver.Rule(Tag.Name(rawValue: implicitTag), "^") else { return .basic }
        return Resolver.basic.appending(rule)
    }()

    /// Parses one document; nil for an empty file.
    static func compose(_ text: String, file: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text, resolver)
        } catch let error as YamlError {
            throw InventoryError(yamlError: error, file: file)
        } catch {
            throw InventoryError(.syntax, "cannot parse YAML: \(error)", file: file)
        }
    }

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    mutating func value(_ node: Node) throws -> InventoryValue {
        budget -= 1
        if budget < 0 {
            throw InventoryError(.invalidValue, "document expands to more than \(Self.maximumNodes) nodes (alias loop?)",
                                 at: location(node))
        }
        switch node {
        case .scalar(let scalar):
            return try scalarValue(scalar, node: node)
        case .sequence(let sequence):
            var items: [InventoryValue] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try value(item)) }
            return .list(items)
        case .mapping(let mapping):
            return .map(try map(mapping, node: node))
        case .alias:
            // Yams resolves aliases while composing; a bare alias node means an undefined anchor.
            throw InventoryError(.syntax, "undefined YAML alias", at: location(node))
        }
    }

    /// A mapping as ordered pairs with text keys, merge keys applied (explicit keys win).
    mutating func pairs(_ mapping: Node.Mapping, node: Node) throws -> [(key: String, keyNode: Node, value: Node)] {
        var merged: [(key: String, keyNode: Node, value: Node)] = []
        var explicit: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, valueNode) in mapping {
            if case .scalar(let k) = keyNode, k.string == "<<", k.style == .plain || k.style == .any {
                let sources: [Node]
                switch valueNode {
                case .mapping: sources = [valueNode]
                case .sequence(let seq): sources = Array(seq)
                default:
                    throw InventoryError(.invalidValue, "a merge key (<<) needs a mapping or a list of mappings",
                                         at: location(valueNode))
                }
                // Earlier sources win over later ones, as in PyYAML.
                var fromSources: [(key: String, keyNode: Node, value: Node)] = []
                for source in sources.reversed() {
                    guard case .mapping(let inner) = source else {
                        throw InventoryError(.invalidValue, "a merge key (<<) needs a mapping or a list of mappings",
                                             at: location(source))
                    }
                    fromSources.append(contentsOf: try pairs(inner, node: source))
                }
                merged.append(contentsOf: fromSources)
                continue
            }
            explicit.append((try keyText(keyNode), keyNode, valueNode))
        }
        return merged + explicit
    }

    private mutating func map(_ mapping: Node.Mapping, node: Node) throws -> [String: InventoryValue] {
        var result: [String: InventoryValue] = [:]
        for pair in try pairs(mapping, node: node) {
            result[pair.key] = try value(pair.value)
        }
        return result
    }

    /// Keys become text the way Python's json module writes them.
    mutating func keyText(_ node: Node) throws -> String {
        let key = try value(node)
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return JSONWriter.pythonFloat(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .list, .map:
            throw InventoryError(.invalidValue, "a mapping key must be a scalar", at: location(node))
        }
    }

    private func scalarValue(_ scalar: Node.Scalar, node: Node) throws -> InventoryValue {
        let tag = scalar.tag.description
        let text = scalar.string
        switch tag {
        case "", Self.implicitTag:
            if scalar.style == .plain || scalar.style == .any {
                return Self.resolvePlain(text)
            }
            return .string(text)
        case "!":
            return .string(text)
        case "tag:yaml.org,2002:str":
            return .string(text)
        case "!unsafe":
            // Ansible marks unsafe text this way in its JSON; other scalars stay as they are.
            let value = scalar.style == .plain ? Self.resolvePlain(text) : .string(text)
            if case .string(let s) = value { return .map(["__ansible_unsafe": .string(s)]) }
            return value
        case "!vault", "!vault-encrypted":
            // Ansible prints undecrypted vault values in this shape.
            return .map(["__ansible_vault": .string(text)])
        case "tag:yaml.org,2002:int":
            if let v = Self.yamlInt(text) { return v }
        case "tag:yaml.org,2002:float":
            if let v = Self.yamlFloat(text) { return v }
            if let v = Self.yamlInt(text), case .int(let i) = v { return .double(Double(i)) }
        case "tag:yaml.org,2002:bool":
            if let b = Self.yamlBool(text) { return .bool(b) }
        case "tag:yaml.org,2002:null":
            return .null
        default:
            throw InventoryError(.invalidValue, "unsupported YAML tag \(tag)", at: location(node), snippet: text)
        }
        throw InventoryError(.invalidValue, "value does not match its tag \(tag)", at: location(node), snippet: text)
    }

    // MARK: YAML 1.1 implicit typing (PyYAML's resolver and constructor)

    static func resolvePlain(_ text: String) -> InventoryValue {
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"):
            if text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null }
        default: break
        }
        if let b = yamlBool(text) { return .bool(b) }
        if isDigitOrSign(first) || first == UInt8(ascii: ".") {
            if let f = yamlFloat(text) { return f }
            if let i = yamlInt(text) { return i }
            if let t = yamlTimestamp(text) { return .string(t) }
        }
        return .string(text)
    }

    private static func isDigitOrSign(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
    }

    static func yamlBool(_ text: String) -> Bool? {
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return true
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    static func yamlInt(_ text: String) -> InventoryValue? {
        var chars = Array(text.utf8)
        var negative = false
        if let first = chars.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            chars.removeFirst()
        }
        guard let first = chars.first else { return nil }
        func all(_ s: ArraySlice<UInt8>, _ ok: (UInt8) -> Bool) -> Bool { !s.isEmpty && s.allSatisfy(ok) }
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let underscore = UInt8(ascii: "_")
        var radix = 10
        var body = chars[...]
        if chars.count >= 2, first == UInt8(ascii: "0"), chars[1] == UInt8(ascii: "b") {
            body = chars[2...]
            guard all(body, { $0 == 0x30 || $0 == 0x31 || $0 == underscore }) else { return nil }
            radix = 2
        } else if chars.count >= 2, first == UInt8(ascii: "0"), chars[1] == UInt8(ascii: "x") {
            body = chars[2...]
            guard all(body, { isDigit($0) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) || $0 == underscore })
            else { return nil }
            radix = 16
        } else if first == UInt8(ascii: "0") {
            if chars.count == 1 { return .int(0) }
            guard all(chars[1...], { ($0 >= 0x30 && $0 <= 0x37) || $0 == underscore }) else { return nil }
            radix = 8
        } else if isDigit(first) {
            if chars.contains(UInt8(ascii: ":")) {
                return sexagesimal(chars, negative: negative)
            }
            guard all(chars[...], { isDigit($0) || $0 == underscore }) else { return nil }
        } else {
            return nil
        }
        let digits = String(decoding: body.filter { $0 != underscore }, as: UTF8.self)
        if digits.isEmpty { return radix == 8 ? .int(0) : nil }
        guard let magnitude = Int(digits, radix: radix) else {
            // Larger than 64 bits: kept as its decimal text (see docs/inventory.md).
            return .string(text)
        }
        return .int(negative ? -magnitude : magnitude)
    }

    /// `1:30` is 90 in YAML 1.1.
    private static func sexagesimal(_ chars: [UInt8], negative: Bool) -> InventoryValue? {
        let parts = String(decoding: chars, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard let head = parts.first, let headFirst = head.utf8.first, headFirst != UInt8(ascii: "0"),
              head.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) else { return nil }
        var value = Int(head.filter { $0 != "_" }) ?? 0
        for part in parts.dropFirst() {
            guard (1...2).contains(part.count), part.allSatisfy(\.isASCII), let n = Int(part),
                  part.count == 1 || part.first.map({ $0 >= "0" && $0 <= "5" }) == true else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 60)
            let (s, o2) = m.addingReportingOverflow(n)
            if o1 || o2 { return nil }
            value = s
        }
        return .int(negative ? -value : value)
    }

    static func yamlFloat(_ text: String) -> InventoryValue? {
        var s = Substring(text)
        var negative = false
        var signed = false
        if let f = s.first, f == "-" || f == "+" {
            negative = f == "-"
            signed = true
            s = s.dropFirst()
        }
        switch s {
        case ".inf", ".Inf", ".INF": return .double(negative ? -.infinity : .infinity)
        case ".nan", ".NaN", ".NAN": return signed ? nil : .double(.nan)
        default: break
        }
        let u = Array(s.utf8)
        guard !u.isEmpty else { return nil }
        let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let underscore = UInt8(ascii: "_"), dot = UInt8(ascii: "."), colon = UInt8(ascii: ":")
        var i = 0
        if u[0] == dot {
            // `.5`, never signed.
            if signed { return nil }
            i = 1
            guard i < u.count, isDigit(u[i]) else { return nil }
            while i < u.count, isDigit(u[i]) || u[i] == underscore { i += 1 }
        } else {
            guard isDigit(u[0]) else { return nil }
            while i < u.count, isDigit(u[i]) || u[i] == underscore { i += 1 }
            if i < u.count, u[i] == colon {
                // Base 60: digits(:[0-5]?[0-9])+.[0-9_]*
                var value = Double(String(decoding: u[0..<i].filter { $0 != underscore }, as: UTF8.self)) ?? 0
                while i < u.count, u[i] == colon {
                    i += 1
                    let start = i
                    while i < u.count, isDigit(u[i]), i - start < 2 { i += 1 }
                    let part = u[start..<i]
                    guard !part.isEmpty, part.count == 1 || part.first.map({ $0 <= UInt8(ascii: "5") }) == true
                    else { return nil }
                    value = value * 60 + (Double(String(decoding: part, as: UTF8.self)) ?? 0)
                }
                guard i < u.count, u[i] == dot else { return nil }
                i += 1
                let fractionStart = i
                while i < u.count, isDigit(u[i]) || u[i] == underscore { i += 1 }
                guard i == u.count else { return nil }
                let fraction = String(decoding: u[fractionStart..<i].filter { $0 != underscore }, as: UTF8.self)
                value += Double("0." + fraction) ?? 0
                return .double(negative ? -value : value)
            }
            guard i < u.count, u[i] == dot else { return nil }
            i += 1
            while i < u.count, isDigit(u[i]) || u[i] == underscore { i += 1 }
        }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            guard i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") else { return nil }
            i += 1
            let start = i
            while i < u.count, isDigit(u[i]) { i += 1 }
            guard i > start else { return nil }
        }
        guard i == u.count else { return nil }
        var cleaned = String(decoding: u.filter { $0 != underscore }, as: UTF8.self)
        if cleaned.hasSuffix(".") { cleaned += "0" }
        if cleaned.hasPrefix(".") { cleaned = "0" + cleaned }
        cleaned = cleaned.replacingOccurrences(of: ".e", with: ".0e").replacingOccurrences(of: ".E", with: ".0E")
        guard let d = Double(cleaned) else { return nil }
        return .double(negative ? -d : d)
    }

    /// YAML 1.1 timestamps, rendered as Python's `isoformat()` renders them.
    static func yamlTimestamp(_ text: String) -> String? {
        let u = Array(text.utf8)
        var i = 0
        func digits(_ min: Int, _ max: Int) -> Int? {
            let start = i
            while i < u.count, i - start < max, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            if i - start < min { return nil }
            return Int(String(decoding: u[start..<i], as: UTF8.self))
        }
        func expect(_ c: Character) -> Bool {
            if i < u.count, u[i] == c.asciiValue { i += 1; return true }
            return false
        }
        guard let year = digits(4, 4), expect("-") else { return nil }
        let monthStart = i
        guard let month = digits(1, 2), expect("-") else { return nil }
        let monthWidth = i - monthStart - 1
        let dayStart = i
        guard let day = digits(1, 2) else { return nil }
        let dayWidth = i - dayStart
        func pad(_ n: Int, _ w: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let date = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        if i == u.count {
            // The date-only form needs exactly two-digit month and day.
            return monthWidth == 2 && dayWidth == 2 ? date : nil
        }
        if i < u.count, u[i] == UInt8(ascii: "T") || u[i] == UInt8(ascii: "t") {
            i += 1
        } else {
            let start = i
            while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
            if i == start { return nil }
        }
        guard let hour = digits(1, 2), expect(":"), let minute = digits(2, 2), expect(":"), let second = digits(2, 2)
        else { return nil }
        var fraction = ""
        if expect(".") {
            let start = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            fraction = String(decoding: u[start..<i], as: UTF8.self)
        }
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
        var zone = ""
        if i < u.count {
            if expect("Z") {
                zone = "+00:00"
            } else if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
                let sign = u[i] == UInt8(ascii: "+") ? "+" : "-"
                i += 1
                guard let zh = digits(1, 2) else { return nil }
                var zm = 0
                if expect(":") { guard let m = digits(2, 2) else { return nil }; zm = m }
                zone = sign + pad(zh, 2) + ":" + pad(zm, 2)
            } else {
                return nil
            }
        }
        guard i == u.count else { return nil }
        var result = date + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2)
        if !fraction.isEmpty {
            let micro = String((fraction + "000000").prefix(6))
            if micro != "000000" { result += "." + micro }
        }
        return result + zone
    }
}

extension InventoryError {
    init(yamlError: YamlError, file: String) {
        switch yamlError {
        case .scanner(let context, let problem, let mark, let yaml),
             .parser(let context, let problem, let mark, let yaml),
             .composer(let context, let problem, let mark, let yaml):
            let line = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            let text = mark.line - 1 < line.count && mark.line >= 1 ? String(line[mark.line - 1]) : nil
            let start = context.map { " (\($0.text) that starts at \($0.mark.line):\($0.mark.column))" } ?? ""
            self.init(.syntax, "invalid YAML: \(problem)\(start)", file: file, line: mark.line, column: mark.column,
                      snippet: text?.trimmingSpaces())
        case .duplicatedKeysInMapping(let duplicates, let context):
            self.init(.syntax, "duplicate key(s) \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping",
                      file: file, line: context.mark.line, column: context.mark.column)
        case .reader(let problem, _, _, _):
            self.init(.syntax, "cannot read YAML: \(problem)", file: file)
        default:
            self.init(.syntax, "invalid YAML: \(yamlError)", file: file)
        }
    }
}
