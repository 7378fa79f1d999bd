/// Collapses names that count up in one run of digits into Ansible's range
/// syntax: `web01 … web40` → `web[01:40]`, `r1.dc2 … r9.dc2` → `r[1:9].dc2`.
enum NameRange {
    /// A name cut around its runs of digits: text, digits, text, …, text (texts may be empty).
    private static func split(_ name: String) -> [Substring] {
        var parts: [Substring] = []
        var start = name.startIndex
        var inDigits = false
        for index in name.indices {
            let digit = name[index].isASCII && name[index].isNumber
            if digit != inDigits {
                parts.append(name[start..<index])
                start = index
                inDigits = digit
            }
        }
        parts.append(name[start...])
        if inDigits { parts.append("") }
        return parts
    }

    /// The digit run where `b` is `a` plus one and nothing else differs, if there is one.
    private static func step(_ a: [Substring], _ b: [Substring]) -> Int? {
        guard a.count == b.count else { return nil }
        var position: Int?
        for k in a.indices where a[k] != b[k] {
            guard k % 2 == 1, position == nil else { return nil }
            position = k
        }
        guard let k = position, let x = Int(a[k]), let y = Int(b[k]), y == x + 1 else { return nil }
        // `[01:10]` pads every number to the same width; `[9:10]` pads none.
        let padded = (a[k].count > 1 && a[k].first == "0") || (b[k].count > 1 && b[k].first == "0")
        return padded && a[k].count != b[k].count ? nil : k
    }

    /// Runs of consecutive names counting up by one: each index range with its label.
    /// A name that starts no run comes back alone, with its own name as label.
    static func runs(_ names: [String]) -> [(range: Range<Int>, label: String)] {
        let parts = names.map(split)
        var result: [(range: Range<Int>, label: String)] = []
        var i = 0
        while i < names.count {
            var j = i + 1
            var position: Int?
            while j < names.count, let k = step(parts[j - 1], parts[j]), position == nil || position == k {
                position = k
                j += 1
            }
            if let k = position {
                var label = parts[i]
                label[k] = "[\(parts[i][k]):\(parts[j - 1][k])]"
                result.append((i..<j, label.joined()))
            } else {
                result.append((i..<i + 1, names[i]))
            }
            i = j
        }
        return result
    }
}
