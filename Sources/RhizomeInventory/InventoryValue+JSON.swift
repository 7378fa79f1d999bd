/// Renders values the way ansible-inventory's `json.dumps(value, sort_keys=True, indent=4)`
/// does, so `rhizome inventory --list` can be compared byte for byte with
/// `ansible-inventory --list`.
extension InventoryValue {
    /// Pretty JSON in the layout `ansible-inventory` prints.
    public func jsonText(indent: Int = 4) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        JSONWriter(indentWidth: indent).write(self, into: &out, level: 0)
        return String(decoding: out, as: UTF8.self)
    }
}

struct JSONWriter {
    var indentWidth: Int

    func write(_ value: InventoryValue, into out: inout [UInt8], level: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: JSONWriter.pythonFloat(d).utf8)
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .list(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                write(item, into: &out, level: level + 1)
            }
            newline(level, &out)
            out.append(UInt8(ascii: "]"))
        case .map(let map):
            if map.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, key) in map.keys.sorted(by: codePointLess).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1, &out)
                JSONWriter.writeString(key, into: &out)
                out.append(contentsOf: ": ".utf8)
                write(map[key] ?? .null, into: &out, level: level + 1)
            }
            newline(level, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private func newline(_ level: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * indentWidth))
    }

    /// Escaping as ansible-inventory's encoder does it: control characters as
    /// `\uXXXX`, everything else (including non-ASCII) as is.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default:
                // UTF-8 continuation and lead bytes pass through unchanged.
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Python's `repr(float)`: shortest round-trip digits, fixed notation for
    /// exponents in -4..<16, scientific with a signed two-digit exponent otherwise.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also yields the shortest round-trip digits; only the layout differs.
        var text = Substring(d.description)
        var negative = false
        if text.hasPrefix("-") { negative = true; text = text.dropFirst() }
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits = ""
        var pointPosition = mantissa.count
        if let dot = mantissa.firstIndex(of: ".") {
            pointPosition = mantissa.distance(from: mantissa.startIndex, to: dot)
            digits = String(mantissa[..<dot]) + String(mantissa[mantissa.index(after: dot)...])
        } else {
            digits = String(mantissa)
        }
        // Normalise to d.ddd × 10^exp10.
        let leadingZeros = digits.prefix(while: { $0 == "0" }).count
        digits.removeFirst(leadingZeros)
        while digits.hasSuffix("0") { digits.removeLast() }
        if digits.isEmpty { digits = "0" }
        let exp10 = pointPosition - leadingZeros - 1 + exponent
        var result = negative ? "-" : ""
        if exp10 >= -4 && exp10 < 16 {
            if exp10 < 0 {
                result += "0." + String(repeating: "0", count: -exp10 - 1) + digits
            } else if digits.count <= exp10 + 1 {
                result += digits + String(repeating: "0", count: exp10 + 1 - digits.count) + ".0"
            } else {
                let split = digits.index(digits.startIndex, offsetBy: exp10 + 1)
                result += digits[..<split] + "." + digits[split...]
            }
        } else {
            result += String(digits.prefix(1))
            if digits.count > 1 { result += "." + digits.dropFirst() }
            let magnitude = abs(exp10)
            result += (exp10 < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        return result
    }
}

/// Python orders strings by code point; Swift's `<` on `String` does not always.
func codePointLess(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
}
