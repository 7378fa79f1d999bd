/// POSIX-shell-like word splitting (Python's `shlex.split`).
enum ShellWords {
    struct Unbalanced: Error {
        var message: String
    }

    /// Splits on unquoted whitespace. With `keepQuotes`, quote characters stay in
    /// the words (Ansible's `split_args`); otherwise they are removed (`shlex`).
    /// With `comments`, an unquoted `#` ends the line, even inside a word (as shlex does).
    static func split(_ text: String, keepQuotes: Bool = false, comments: Bool = false) throws -> [String] {
        try splitWithOffsets(text, keepQuotes: keepQuotes, comments: comments).map(\.word)
    }

    /// Like `split`, with the offset (in Unicode scalars) where each word starts.
    static func splitWithOffsets(_ text: String, keepQuotes: Bool = false, comments: Bool = false) throws
        -> [(word: String, offset: Int)] {
        var words: [(word: String, offset: Int)] = []
        var current = String.UnicodeScalarView()
        var start = 0
        var inWord = false
        var quote: Unicode.Scalar?
        var escaping = false
        var offset = -1
        func begin() {
            if !inWord { inWord = true; start = offset }
        }
        for c in text.unicodeScalars {
            offset += 1
            if escaping {
                // Inside double quotes only `"` and `\` are escaped, as in shlex.
                if quote == "\"" && c != "\"" && c != "\\" { current.append("\\") }
                current.append(c)
                escaping = false
                begin()
                continue
            }
            if let q = quote {
                if c == q {
                    quote = nil
                    if keepQuotes { current.append(c) }
                } else if c == "\\" && q == "\"" {
                    if keepQuotes { current.append(c) } else { escaping = true }
                } else {
                    current.append(c)
                }
                continue
            }
            if c == "\\" {
                begin()
                if keepQuotes { current.append(c) } else { escaping = true }
            } else if c == "'" || c == "\"" {
                begin()
                quote = c
                if keepQuotes { current.append(c) }
            } else if c == " " || c == "\t" || c == "\r" || c == "\n" {
                // shlex's whitespace.
                if inWord {
                    words.append((String(current), start))
                    current = String.UnicodeScalarView()
                    inWord = false
                }
            } else if c == "#" && comments {
                break
            } else {
                begin()
                current.append(c)
            }
        }
        if quote != nil { throw Unbalanced(message: "no closing quotation") }
        if escaping { throw Unbalanced(message: "no escaped character") }
        if inWord { words.append((String(current), start)) }
        return words
    }
}
