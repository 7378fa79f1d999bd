import Foundation

/// Python's `ast.literal_eval`, which Ansible's INI plugin applies to every value
/// (on host lines and in `:vars` sections alike): `True` is a boolean, `0x10` is
/// 16, `[1, 2]` a list, `'a' 'b'` the text `ab`, and anything that is not a Python
/// literal (`yes`, `hello world`) stays text.
struct PythonLiteral {
    /// Bounds the nesting of brackets so that hostile input cannot exhaust the stack.
    static let maximumDepth = 200

    /// The value, or nil when `text` is not a Python literal (Ansible then keeps the text).
    static func evaluate(_ text: String) -> InventoryValue? {
        // Most values are plain words (`deploy`, `web01`): names other than these are never literals.
        if let first = text.utf8.first, (first >= 0x61 && first <= 0x7A) || (first >= 0x41 && first <= 0x5A),
           !text.utf8.contains(where: { $0 == 0x27 || $0 == 0x22 || $0 == 0x28 || $0 == 0x2C || $0 == 0x2B || $0 == 0x2D || $0 == 0x23 }) {
            switch text.trimmingSpaces() {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .null
            default: return nil
            }
        }
        var parser = PythonLiteral(text)
        // literal_eval strips leading spaces and tabs only.
        parser.skipSpaces()
        guard let value = try? parser.expressionList() else { return nil }
        parser.skipSpaces()
        guard parser.atEnd else { return nil }
        return value.inventoryValue
    }

    /// A parsed literal, before conversion (complex numbers and bytes need Python's rules).
    indirect enum Value {
        case none, ellipsis
        case bool(Bool)
        case int(Int)
        /// An integer that does not fit in 64 bits, kept as its source text.
        case bigInt(String)
        case float(Double)
        case complex(real: Double, imaginary: Double)
        case string(String)
        case bytes([UInt8])
        case list([Value])
        case tuple([Value])
        case set([Value])
        case dict([(Value, Value)])

        var inventoryValue: InventoryValue? {
            switch self {
            case .none: return .null
            case .ellipsis: return .string("...")
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .bigInt(let s): return .string(s)
            case .float(let d): return .double(d)
            case .complex(let re, let im): return .string(PythonLiteral.complexRepr(re, im))
            case .string(let s): return .string(s)
            case .bytes(let b): return .string(String(decoding: b, as: UTF8.self))
            case .list(let items), .tuple(let items), .set(let items):
                var out: [InventoryValue] = []
                for item in items {
                    guard let v = item.inventoryValue else { return nil }
                    out.append(v)
                }
                return .list(out)
            case .dict(let pairs):
                var out: [String: InventoryValue] = [:]
                for (k, v) in pairs {
                    guard let key = k.keyText, let value = v.inventoryValue else { return nil }
                    out[key] = value
                }
                return .map(out)
            }
        }

        /// Keys as Python's json module writes them.
        var keyText: String? {
            switch self {
            case .string(let s): return s
            case .int(let i): return String(i)
            case .bigInt(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .none: return "null"
            case .float(let d): return JSONWriter.pythonFloat(d)
            case .bytes(let b): return String(decoding: b, as: UTF8.self)
            case .ellipsis: return "..."
            case .complex(let re, let im): return PythonLiteral.complexRepr(re, im)
            default: return nil
            }
        }

        var isHashable: Bool {
            switch self {
            case .list, .set, .dict: return false
            case .tuple(let items): return items.allSatisfy(\.isHashable)
            default: return true
            }
        }

        /// Equality as Python's dict and set see it (1 == 1.0 == True).
        func pythonEquals(_ other: Value) -> Bool {
            switch (numeric, other.numeric) {
            case let (a?, b?): return a == b
            default: break
            }
            switch (self, other) {
            case (.none, .none), (.ellipsis, .ellipsis): return true
            case let (.string(a), .string(b)): return a == b
            case let (.bytes(a), .bytes(b)): return a == b
            case let (.bigInt(a), .bigInt(b)): return a == b
            case let (.tuple(a), .tuple(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
            default: return false
            }
        }

        private var numeric: Double? {
            switch self {
            case .bool(let b): return b ? 1 : 0
            case .int(let i): return Double(i)
            case .float(let d): return d
            case .complex(let re, let im): return im == 0 ? re : nil
            default: return nil
            }
        }
    }

    struct NotALiteral: Error {}

    private let chars: [Unicode.Scalar]
    private var index = 0
    private var depth = 0

    private init(_ text: String) {
        chars = Array(text.unicodeScalars)
    }

    private var atEnd: Bool { index >= chars.count }
    private var current: Unicode.Scalar? { index < chars.count ? chars[index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    /// Spaces, tabs, form feeds and `#` comments; newlines only inside brackets.
    private mutating func skipSpaces() {
        while let c = current {
            if c == " " || c == "\t" || c == "\u{0C}" || (depth > 0 && (c == "\n" || c == "\r")) {
                index += 1
            } else if c == "\\", peek(1) == "\n" {
                index += 2
            } else if c == "#" {
                while let d = current, d != "\n" { index += 1 }
                if depth == 0 { return }
            } else {
                return
            }
        }
    }

    /// `a, b` at the top level is a tuple.
    private mutating func expressionList() throws(NotALiteral) -> Value {
        let first = try expression()
        skipSpaces()
        guard current == "," else { return first }
        var items = [first]
        while current == "," {
            index += 1
            skipSpaces()
            if atEnd { break }
            items.append(try expression())
            skipSpaces()
        }
        return .tuple(items)
    }

    /// An atom with optional unary signs, and `real ± imaginary`.
    private mutating func expression() throws(NotALiteral) -> Value {
        var value = try signed()
        skipSpaces()
        while let c = current, c == "+" || c == "-" {
            // literal_eval only folds `int/float ± complex`.
            guard value.isReal else { throw NotALiteral() }
            index += 1
            skipSpaces()
            let right = try signed()
            guard case .complex(let re, let im) = right, re == 0, !value.isComplex else { throw NotALiteral() }
            let left = value.realValue
            value = c == "+" ? .complex(real: left + re, imaginary: im) : .complex(real: left - re, imaginary: -im)
            skipSpaces()
        }
        return value
    }

    private mutating func signed() throws(NotALiteral) -> Value {
        skipSpaces()
        guard let c = current else { throw NotALiteral() }
        if c == "+" || c == "-" {
            index += 1
            guard depth < Self.maximumDepth else { throw NotALiteral() }
            depth += 1
            defer { depth -= 1 }
            let operand = try signed()
            // Only numbers (and bools, which are ints in Python) may carry a sign.
            switch operand {
            case .int(let i):
                if c == "+" { return .int(i) }
                return i == Int.min ? .bigInt("9223372036854775808") : .int(-i)
            case .bool(let b): return .int(c == "+" ? (b ? 1 : 0) : (b ? -1 : 0))
            case .bigInt(let s): return c == "+" ? .bigInt(s) : .bigInt(s.hasPrefix("-") ? String(s.dropFirst()) : "-" + s)
            case .float(let d): return .float(c == "+" ? d : -d)
            case .complex(let re, let im): return c == "+" ? .complex(real: re, imaginary: im) : .complex(real: -re, imaginary: -im)
            default: throw NotALiteral()
            }
        }
        return try atom()
    }

    private mutating func atom() throws(NotALiteral) -> Value {
        skipSpaces()
        guard let c = current else { throw NotALiteral() }
        switch c {
        case "[": return .list(try sequence(close: "]"))
        case "(":
            index += 1
            try enter()
            defer { depth -= 1 }
            skipSpaces()
            if current == ")" { index += 1; return .tuple([]) }
            let first = try expression()
            skipSpaces()
            if current == ")" { index += 1; return first }
            var items = [first]
            while current == "," {
                index += 1
                skipSpaces()
                if current == ")" { break }
                items.append(try expression())
                skipSpaces()
            }
            guard current == ")" else { throw NotALiteral() }
            index += 1
            return .tuple(items)
        case "{": return try braces()
        case ".":
            if peek(1) == ".", peek(2) == "." { index += 3; return .ellipsis }
            return try number()
        case "0"..."9": return try number()
        case "'", "\"": return try strings()
        default:
            if isIdentifierStart(c) { return try nameOrString() }
            throw NotALiteral()
        }
    }

    private mutating func enter() throws(NotALiteral) {
        guard depth < Self.maximumDepth else { throw NotALiteral() }
        depth += 1
    }

    private mutating func sequence(close: Unicode.Scalar) throws(NotALiteral) -> [Value] {
        index += 1
        try enter()
        defer { depth -= 1 }
        var items: [Value] = []
        skipSpaces()
        while current != close {
            items.append(try expression())
            skipSpaces()
            if current == "," {
                index += 1
                skipSpaces()
            } else if current != close {
                throw NotALiteral()
            }
        }
        index += 1
        return items
    }

    private mutating func braces() throws(NotALiteral) -> Value {
        index += 1
        try enter()
        defer { depth -= 1 }
        skipSpaces()
        if current == "}" { index += 1; return .dict([]) }
        let first = try expression()
        skipSpaces()
        if current == ":" {
            var pairs: [(Value, Value)] = []
            var key = first
            while true {
                guard current == ":" else { throw NotALiteral() }
                index += 1
                let value = try expression()
                guard key.isHashable else { throw NotALiteral() }
                if let existing = pairs.firstIndex(where: { $0.0.pythonEquals(key) }) {
                    pairs[existing].1 = value
                } else {
                    pairs.append((key, value))
                }
                skipSpaces()
                if current == "," {
                    index += 1
                    skipSpaces()
                    if current == "}" { break }
                    key = try expression()
                    skipSpaces()
                } else {
                    break
                }
            }
            guard current == "}" else { throw NotALiteral() }
            index += 1
            return .dict(pairs)
        }
        var items: [Value] = []
        func add(_ v: Value) throws(NotALiteral) {
            guard v.isHashable else { throw NotALiteral() }
            if !items.contains(where: { $0.pythonEquals(v) }) { items.append(v) }
        }
        try add(first)
        while current == "," {
            index += 1
            skipSpaces()
            if current == "}" { break }
            try add(try expression())
            skipSpaces()
        }
        guard current == "}" else { throw NotALiteral() }
        index += 1
        return .set(items)
    }

    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isXIDStart
    }

    private mutating func nameOrString() throws(NotALiteral) -> Value {
        let start = index
        while let c = current, c == "_" || c.properties.isXIDContinue { index += 1 }
        let name = String(String.UnicodeScalarView(chars[start..<index]))
        if let q = current, q == "'" || q == "\"" {
            // A string prefix.
            let prefix = name.lowercased()
            guard ["r", "u", "b", "br", "rb"].contains(prefix) else { throw NotALiteral() }
            index = start
            return try strings()
        }
        switch name {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        case "set":
            skipSpaces()
            guard current == "(" else { throw NotALiteral() }
            index += 1
            skipSpaces()
            guard current == ")" else { throw NotALiteral() }
            index += 1
            return .set([])
        default: throw NotALiteral()
        }
    }

    // MARK: Numbers

    private mutating func number() throws(NotALiteral) -> Value {
        let start = index
        func digits(_ ok: (Unicode.Scalar) -> Bool) throws(NotALiteral) -> String {
            // Digits with single underscores between them.
            var out = ""
            var lastUnderscore = false
            while let c = current {
                if ok(c) { out.unicodeScalars.append(c); lastUnderscore = false; index += 1 }
                else if c == "_", !out.isEmpty, !lastUnderscore, let n = peek(1), ok(n) { lastUnderscore = true; index += 1 }
                else { break }
            }
            return out
        }
        let isDec: (Unicode.Scalar) -> Bool = { $0 >= "0" && $0 <= "9" }
        if current == "0", let x = peek(1), "xXoObB".unicodeScalars.contains(x) {
            index += 2
            let radix: Int
            let ok: (Unicode.Scalar) -> Bool
            switch x {
            case "x", "X": radix = 16; ok = { $0.properties.isASCIIHexDigit }
            case "o", "O": radix = 8; ok = { $0 >= "0" && $0 <= "7" }
            default: radix = 2; ok = { $0 == "0" || $0 == "1" }
            }
            if current == "_" { index += 1 }
            let body = try digits(ok)
            guard !body.isEmpty else { throw NotALiteral() }
            try endOfNumber()
            guard let v = Int(body, radix: radix) else {
                return .bigInt(String(String.UnicodeScalarView(chars[start..<index])))
            }
            return .int(v)
        }
        let integer = try digits(isDec)
        var text = integer
        var isFloat = false
        if current == "." {
            isFloat = true
            index += 1
            text += "." + (try digits(isDec))
        }
        if let e = current, e == "e" || e == "E" {
            var sign = ""
            var look = 1
            if let s = peek(1), s == "+" || s == "-" { sign = String(s); look = 2 }
            if let d = peek(look), isDec(d) {
                index += look
                isFloat = true
                text += "e" + sign + (try digits(isDec))
            }
        }
        guard !text.isEmpty, text != "." else { throw NotALiteral() }
        if let j = current, j == "j" || j == "J" {
            index += 1
            try endOfNumber()
            return .complex(real: 0, imaginary: Self.double(text))
        }
        try endOfNumber()
        if isFloat { return .float(Self.double(text)) }
        // Python 3 rejects leading zeros in non-zero decimal integers.
        if integer.count > 1, integer.hasPrefix("0"), integer.contains(where: { $0 != "0" }) { throw NotALiteral() }
        guard let v = Int(integer) else { return .bigInt(integer) }
        return .int(v)
    }

    private static func double(_ text: String) -> Double {
        var t = text
        if t.hasPrefix(".") { t = "0" + t }
        t = t.replacingOccurrences(of: ".e", with: ".0e")
        if t.hasSuffix(".") { t += "0" }
        return Double(t) ?? .infinity
    }

    /// A number may not run straight into a name (`1x`).
    private func endOfNumber() throws(NotALiteral) {
        if let c = current, c == "_" || c.properties.isXIDContinue { throw NotALiteral() }
    }

    // MARK: Strings

    /// One or more adjacent string literals (concatenated, as Python does).
    private mutating func strings() throws(NotALiteral) -> Value {
        var text: [Unicode.Scalar] = []
        var bytes: [UInt8] = []
        var kind: Bool?  // true for bytes
        repeat {
            let (isBytes, scalars, raw) = try stringLiteral()
            if let k = kind, k != isBytes { throw NotALiteral() }
            kind = isBytes
            if isBytes { bytes += raw } else { text += scalars }
            skipSpaces()
        } while current == "'" || current == "\"" || startsPrefixedString()
        if kind == true { return .bytes(bytes) }
        return .string(String(String.UnicodeScalarView(text)))
    }

    private func startsPrefixedString() -> Bool {
        var i = index
        var prefix = ""
        while i < chars.count, i - index < 2, "rRuUbB".unicodeScalars.contains(chars[i]) {
            prefix.unicodeScalars.append(chars[i])
            i += 1
        }
        guard !prefix.isEmpty, i < chars.count, chars[i] == "'" || chars[i] == "\"" else { return false }
        return ["r", "u", "b", "br", "rb"].contains(prefix.lowercased())
    }

    private mutating func stringLiteral() throws(NotALiteral) -> (Bool, [Unicode.Scalar], [UInt8]) {
        var raw = false, isBytes = false
        while let c = current, c != "'", c != "\"" {
            switch c {
            case "r", "R": raw = true
            case "b", "B": isBytes = true
            case "u", "U": break
            default: throw NotALiteral()
            }
            index += 1
        }
        guard let quote = current else { throw NotALiteral() }
        let triple = peek(1) == quote && peek(2) == quote
        index += triple ? 3 : 1
        var out: [Unicode.Scalar] = []
        var outBytes: [UInt8] = []
        func append(_ s: Unicode.Scalar) throws(NotALiteral) {
            if isBytes {
                guard s.value < 128 else { throw NotALiteral() }
                outBytes.append(UInt8(s.value))
            } else {
                out.append(s)
            }
        }
        while true {
            guard let c = current else { throw NotALiteral() }
            if c == quote {
                if !triple { index += 1; break }
                if peek(1) == quote && peek(2) == quote { index += 3; break }
            }
            if !triple, c == "\n" { throw NotALiteral() }
            if c == "\\" {
                guard let n = peek(1) else { throw NotALiteral() }
                if raw {
                    try append(c)
                    try append(n)
                    index += 2
                    continue
                }
                index += 2
                switch n {
                case "\n": break
                case "\\", "'", "\"": try append(n)
                case "a": try append("\u{07}")
                case "b": try append("\u{08}")
                case "f": try append("\u{0C}")
                case "n": try append("\n")
                case "r": try append("\r")
                case "t": try append("\t")
                case "v": try append("\u{0B}")
                case "0"..."7":
                    var value = Int(n.value - 48)
                    var count = 1
                    while count < 3, let d = current, d >= "0", d <= "7" {
                        value = value * 8 + Int(d.value - 48)
                        index += 1
                        count += 1
                    }
                    if isBytes { outBytes.append(UInt8(value & 0xFF)) } else { try append(Unicode.Scalar(UInt32(value)) ?? "\u{FFFD}") }
                case "x":
                    let v = try hexEscape(2)
                    if isBytes { outBytes.append(UInt8(v)) } else { try append(Unicode.Scalar(v) ?? "\u{FFFD}") }
                case "u" where !isBytes:
                    try append(Unicode.Scalar(try hexEscape(4)) ?? "\u{FFFD}")
                case "U" where !isBytes:
                    let v = try hexEscape(8)
                    guard v <= 0x10FFFF else { throw NotALiteral() }
                    try append(Unicode.Scalar(v) ?? "\u{FFFD}")
                case "N" where !isBytes:
                    // Named escapes would need the Unicode name table; treat as not a literal.
                    throw NotALiteral()
                default:
                    // Unknown escapes keep their backslash.
                    try append("\\")
                    try append(n)
                }
                continue
            }
            try append(c)
            index += 1
        }
        return (isBytes, out, outBytes)
    }

    private mutating func hexEscape(_ count: Int) throws(NotALiteral) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let c = current, c.properties.isASCIIHexDigit, let d = UInt32(String(c), radix: 16) else {
                throw NotALiteral()
            }
            value = value * 16 + d
            index += 1
        }
        return value
    }

    /// Python's `str(complex)`.
    static func complexRepr(_ re: Double, _ im: Double) -> String {
        func part(_ d: Double) -> String {
            let s = JSONWriter.pythonFloat(d)
            switch s {
            case "Infinity": return "inf"
            case "-Infinity": return "-inf"
            case "NaN": return "nan"
            default: return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
            }
        }
        if re == 0 && re.sign == .plus { return part(im) + "j" }
        let imText = part(im)
        let sign = imText.hasPrefix("-") ? "" : "+"
        return "(" + part(re) + sign + imText + "j)"
    }
}

extension PythonLiteral.Value {
    var isReal: Bool {
        switch self {
        case .int, .float, .bool: return true
        default: return false
        }
    }

    var isComplex: Bool {
        if case .complex = self { return true }
        return false
    }

    var realValue: Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }
}
