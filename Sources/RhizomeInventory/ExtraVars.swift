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
