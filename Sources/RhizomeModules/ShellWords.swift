/// Splits a command line into words the way Python's `shlex.split` does in
/// POSIX mode, which is what Ansible's `command` module uses.
public enum ShellWords {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func split(_ line: String) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = line.unicodeScalars.makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                var closed = false
                while let d = iterator.next() {
                    if d == "'" { closed = true; break }
                    current.unicodeScalars.append(d)
                }
                if !closed { throw Failure(description: "no closing quotation in: \(line)") }
            case "\"":
                inWord = true
                var closed = false
                while let d = iterator.next() {
                    if d == "\"" { closed = true; break }
                    if d == "\\" {
                        // Unlike a POSIX shell, shlex escapes only the quote and the backslash here.
                        guard let e = iterator.next() else { break }
                        if e == "\"" || e == "\\" {
                            current.unicodeScalars.append(e)
                        } else {
                            current.unicodeScalars.append(d)
                            current.unicodeScalars.append(e)
                        }
                        continue
                    }
                    current.unicodeScalars.append(d)
                }
                if !closed { throw Failure(description: "no closing quotation in: \(line)") }
            case "\\":
                inWord = true
                guard let e = iterator.next() else { throw Failure(description: "no escaped character at end of: \(line)") }
                current.unicodeScalars.append(e)
            default:
                inWord = true
                current.unicodeScalars.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
