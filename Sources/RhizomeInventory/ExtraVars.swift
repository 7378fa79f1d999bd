import Foundation

/// `-e` / `--extra-vars`: `key=value …` (values stay text, as in Ansible), a
/// YAML/JSON mapping starting with `{`, or `@file`.
enum ExtraVars {
    static func parse(_ arguments: [String]) throws -> VariableTable {
        var table = VariableTable()
        for (index, argument) in arguments.enumerated() where !argument.isEmpty {
            let origin = SourceLocation(file: "<extra vars #\(index + 1)>", line: 1, column: 1)
            if argument.hasPrefix("@") {
                let path = InventorySources.expandTilde(String(argument.dropFirst()))
                guard FileManager.default.fileExists(atPath: path) else {
                    throw InventoryError(.io, "extra vars file not found", file: path)
                }
                let file = try VariableFiles.loadFile(path)
                table.merge(file)
            } else if argument.hasPrefix("/") || argument.hasPrefix(".") {
                throw InventoryError(.invalidValue, "prefix the extra vars file name with '@'", file: origin.file,
                                     snippet: argument)
            } else if argument.hasPrefix("{") || argument.hasPrefix("[") {
                let parsed = try VariableFiles.parse(argument, file: origin.file)
                table.merge(parsed)
            } else {
                for (key, value) in try keyValues(argument, origin: origin) {
                    table.set(key, .string(value), at: origin)
                }
            }
        }
        return table
    }

    /// Ansible's `parse_kv`: whitespace-separated `key=value`, with quotes grouping
    /// words and removed from around values.
    static func keyValues(_ text: String, origin: SourceLocation) throws -> [(String, String)] {
        var result: [(String, String)] = []
        for token in try ShellWords.split(text, keepQuotes: true) {
            guard let eq = token.firstIndex(of: "=") else {
                throw InventoryError(.invalidValue, "extra vars must be key=value", file: origin.file, snippet: token)
            }
            let key = token[..<eq].trimmingSpaces()
            let value = unquote(token[token.index(after: eq)...].trimmingSpaces())
            guard !key.isEmpty else {
                throw InventoryError(.invalidValue, "extra vars must be key=value", file: origin.file, snippet: token)
            }
            result.append((key, value))
        }
        return result
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f {
            return String(s.dropFirst().dropLast())
        }
        return s
    }
}

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
