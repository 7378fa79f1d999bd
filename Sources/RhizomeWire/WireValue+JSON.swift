/// JSON text for `WireValue`, without Foundation (the agent has none).
extension WireValue {
    /// Compact JSON. Bytes are written as a UTF-8 string (invalid sequences repaired).
    public var jsonText: String {
        var out = ""
        writeJSON(into: &out, pretty: false, indent: 0)
        return out
    }

    /// Indented JSON, as Ansible prints ad-hoc results.
    public var prettyJSONText: String {
        var out = ""
        writeJSON(into: &out, pretty: true, indent: 0)
        return out
    }

    private func writeJSON(into out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .string(let s): WireValue.writeJSONString(s, into: &out)
        case .bytes(let b): WireValue.writeJSONString(String(decoding: b, as: UTF8.self), into: &out)
        case .list(let l):
            if l.isEmpty { out += "[]"; return }
            out += "["
            for (index, element) in l.enumerated() {
                if index > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "    ", count: indent + 1) }
                element.writeJSON(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "    ", count: indent) }
            out += "]"
        case .map(let m):
            if m.isEmpty { out += "{}"; return }
            out += "{"
            for (index, (key, value)) in m.enumerated() {
                if index > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "    ", count: indent + 1) }
                WireValue.writeJSONString(key, into: &out)
                out += pretty ? ": " : ":"
                value.writeJSON(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "    ", count: indent) }
            out += "}"
        }
    }

    static func writeJSONString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
