/// Reading variables the way Ansible's connection plugins read them.
extension InventoryValue {
    /// The value as text, as Python's `str()` would give it for scalars; nil for collections and null.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return JSONWriter.pythonFloat(d)
        case .bool(let b): return b ? "True" : "False"
        case .null, .list, .map: return nil
        }
    }

    /// An integer, from an int or from text holding one.
    public var integer: Int? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int(s.trimmingSpaces())
        case .double(let d): return d == d.rounded() && abs(d) < 9e15 ? Int(d) : nil
        default: return nil
        }
    }

    /// A number of seconds or similar, from an int, a float or text.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s.trimmingSpaces())
        default: return nil
        }
    }

    /// Ansible's `boolean()` conversion: nil when the value is not a recognised boolean.
    public var boolean: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i == 1 ? true : (i == 0 ? false : nil)
        case .double(let d): return d == 1 ? true : (d == 0 ? false : nil)
        case .string(let s):
            switch s.trimmingSpaces().lowercased() {
            case "y", "yes", "on", "1", "true", "t", "1.0": return true
            case "n", "no", "off", "0", "false", "f", "0.0": return false
            default: return nil
            }
        default: return nil
        }
    }

    var isMap: Bool { if case .map = self { return true } else { return false } }
}

extension StringProtocol {
    /// Python's `str.strip()`: removes Unicode whitespace from both ends.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].isPythonSpace { start = scalars.index(after: start) }
        while start < end {
            let before = scalars.index(before: end)
            guard scalars[before].isPythonSpace else { break }
            end = before
        }
        return String(self[start..<end])
    }
}

extension Unicode.Scalar {
    /// Python's `str.isspace()` for one character.
    var isPythonSpace: Bool {
        if value < 0x80 { return (0x09...0x0D).contains(value) || (0x1C...0x20).contains(value) }
        return properties.isWhitespace
    }
}

extension StringProtocol {
    /// Whether an ASCII character occurs, without Foundation's locale-aware search.
    func containsByte(_ c: Unicode.Scalar) -> Bool {
        utf8.contains(UInt8(truncatingIfNeeded: c.value))
    }
}
