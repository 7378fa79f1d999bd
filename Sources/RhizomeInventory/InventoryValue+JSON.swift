/// Renders values the way ansible-inventory's `json.dumps(value, sort_keys=True, indent=4)`
/// does, so `rhizome inventory --list` can be compared byte for byte with
/// `ansible-inventory --list`.
extension InventoryValue {
    /// Pretty JSON in the layout `ansible-inventory` prints.
    public func jsonText(indent: Int = 4) -> String {
        var out = ""
        JSONWriter(indentWidth: indent).write(self, into: &out, level: 0)
        return out
    }
}

struct JSONWriter {
    var indentWidth: Int

    func write(_ value: InventoryValue, into out: inout String, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONWriter.pythonFloat(d)
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .list(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                pad(level + 1, &out)
                write(item, into: &out, level: level + 1)
            }
            out += "\n"
            pad(level, &out)
            out += "]"
        case .map(let map):
            if map.isEmpty { out += "{}"; return }
            out += "{"
            for (i, key) in map.keys.sorted(by: codePointLess).enumerated() {
                out += i == 0 ? "\n" : ",\n"
                pad(level + 1, &out)
                JSONWriter.writeString(key, into: &out)
                out += ": "
                write(map[key] ?? .null, into: &out, level: level + 1)
            }
            out += "\n"
            pad(level, &out)
            out += "}"
        }
    }

    private func pad(_ level: Int, _ out: inout String) {
        out += String(repeating: " ", count: level * indentWidth)
    }

    /// Escaping as ansible-inventory's encoder does it: control characters as
    /// `\uXXXX`, everything else (including non-ASCII) as is.
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
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
