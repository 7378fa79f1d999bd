import RhizomeWire

/// Parses `-a` text into module parameters the way Ansible does.
///
/// Free-form modules (`command`, `shell`) take the text as `_raw_params`, with
/// their own `key=value` options pulled out (`chdir=/tmp ls`). Other modules
/// take `key=value` pairs, or a JSON object.
public enum ModuleArguments {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Modules whose arguments are a free-form command line.
    public static let freeFormModules: Set<String> = ["command", "shell", "raw", "script"]
    /// Options a free-form module accepts inline.
    static let freeFormOptions: Set<String> = [
        "chdir", "creates", "removes", "executable", "stdin", "stdin_add_newline", "strip_empty_ends", "warn", "argv",
    ]

    public static func parse(module: String, text: String) throws(Failure) -> WireValue {
        let trimmed = text.trimmingCharacters(in: " \t\n")
        if trimmed.isEmpty { return .map([]) }
        if trimmed.hasPrefix("{") {
            do {
                return try WireValue(jsonText: trimmed)
            } catch {
                throw Failure(description: "module arguments look like JSON but do not parse: \(error)")
            }
        }
        let tokens = try tokenize(trimmed)
        var pairs: [(String, WireValue)] = []
        var raw: [String] = []
        let freeForm = freeFormModules.contains(module)
        for token in tokens {
            if let (key, value) = token.keyValue, !freeForm || freeFormOptions.contains(key) {
                pairs.append((key, .string(value)))
            } else if freeForm {
                raw.append(token.raw)
            } else {
                throw Failure(description: "module \(module) takes key=value arguments; cannot use '\(token.raw)'")
            }
        }
        if freeForm && !raw.isEmpty {
            pairs.insert(("_raw_params", .string(raw.joined(separator: " "))), at: 0)
        }
        return .map(pairs)
    }

    struct Token {
        /// The text as written, quotes included.
        var raw: String
        /// `key=value`, value unquoted, when the token has that shape.
        var keyValue: (String, String)?
    }

    /// Splits on white space outside quotes, keeping each token's text.
    static func tokenize(_ text: String) throws(Failure) -> [Token] {
        var tokens: [Token] = []
        var raw = ""
        var unquoted = ""
        var quote: Character?
        var escaped = false
        func flush() {
            guard !raw.isEmpty else { return }
            var keyValue: (String, String)?
            if let equals = raw.firstIndex(of: "="), raw.first != "=" {
                let key = String(raw[..<equals])
                if key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                   let unquotedEquals = unquoted.firstIndex(of: "=") {
                    keyValue = (key, String(unquoted[unquoted.index(after: unquotedEquals)...]))
                }
            }
            tokens.append(Token(raw: raw, keyValue: keyValue))
            raw = ""
            unquoted = ""
        }
        for character in text {
            if escaped {
                raw.append(character)
                unquoted.append(character)
                escaped = false
                continue
            }
            if character == "\\" && quote != "'" {
                raw.append(character)
                escaped = true
                continue
            }
            if let open = quote {
                raw.append(character)
                if character == open { quote = nil } else { unquoted.append(character) }
                continue
            }
            if character == "'" || character == "\"" {
                quote = character
                raw.append(character)
                continue
            }
            if character == " " || character == "\t" || character == "\n" {
                flush()
                continue
            }
            raw.append(character)
            unquoted.append(character)
        }
        if quote != nil { throw Failure(description: "unbalanced quotes in module arguments: \(text)") }
        flush()
        return tokens
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
