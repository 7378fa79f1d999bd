import RhizomeIO
import RhizomeModules
import Testing

@Suite struct ShellWordsTests {
    /// Inputs and what Python's `shlex.split` makes of them (Python 3.11).
    static let table: [(String, [String])] = [
        ("", []),
        ("   ", []),
        ("a", ["a"]),
        ("a b  c", ["a", "b", "c"]),
        (" leading and trailing ", ["leading", "and", "trailing"]),
        ("tab\tseparated\nnewline\rreturn", ["tab", "separated", "newline", "return"]),
        ("'single quoted'", ["single quoted"]),
        ("\"double quoted\"", ["double quoted"]),
        ("''", [""]),
        ("\"\"", [""]),
        ("a '' b", ["a", "", "b"]),
        ("a \"\" b", ["a", "", "b"]),
        ("''''", [""]),
        ("'' ''", ["", ""]),
        ("a'b c'd", ["ab cd"]),
        ("a\"b c\"d", ["ab cd"]),
        ("'a'\"b\"c", ["abc"]),
        ("'it'\\''s'", ["it's"]),
        ("'a\\b'", ["a\\b"]),
        ("'a\"b'", ["a\"b"]),
        ("\"a'b\"", ["a'b"]),
        ("\"a\\\"b\"", ["a\"b"]),
        ("\"a\\\\b\"", ["a\\b"]),
        ("\"a\\$b\"", ["a\\$b"]),
        ("\"a\\`b\"", ["a\\`b"]),
        ("\"a\\qb\"", ["a\\qb"]),
        ("\"a\\\nb\"", ["a\\\nb"]),
        ("\"trailing\\\\\"", ["trailing\\"]),
        ("a\\ b", ["a b"]),
        ("a\\\\b", ["a\\b"]),
        ("\\'", ["'"]),
        ("\\\"", ["\""]),
        ("\\a\\b", ["ab"]),
        ("a\\\nb", ["a\nb"]),
        ("\\ ", [" "]),
        ("echo $HOME", ["echo", "$HOME"]),
        ("x=1 y=2", ["x=1", "y=2"]),
        ("#not a comment", ["#not", "a", "comment"]),
        ("a #b", ["a", "#b"]),
        ("semi;colon", ["semi;colon"]),
        ("pipe|x", ["pipe|x"]),
        ("a&&b", ["a&&b"]),
        ("ünïcödé 'ß ü'", ["ünïcödé", "ß ü"]),
        ("naïve\u{a0}space", ["naïve\u{a0}space"]),
        ("a\u{b}b", ["a\u{b}b"]),
        ("a\u{c}b", ["a\u{c}b"]),
        ("--opt=\"value with spaces\"", ["--opt=value with spaces"]),
        ("printf '%s\\n' \"$x\"", ["printf", "%s\\n", "$x"]),
    ]

    /// Inputs on which `shlex.split` raises ValueError.
    static let malformed = [
        "'unterminated",
        "\"unterminated",
        "a\\",
        "'a'\"b",
        "\"a\\\"",
        "ok 'bad",
    ]

    @Test(arguments: table)
    func splitsLikeShlex(line: String, words: [String]) throws {
        #expect(try ShellWords.split(line) == words)
    }

    @Test(arguments: malformed)
    func malformedLinesAreRefused(line: String) {
        #expect(throws: ShellWords.Failure.self) { try ShellWords.split(line) }
    }

    @Test func failureQuotesTheLine() throws {
        let failure = try #require(throws: ShellWords.Failure.self) { try ShellWords.split("echo 'oops") }
        #expect(failure.description == "no closing quotation in: echo 'oops")
    }

    @Test(.enabled(if: pythonPath != nil, "needs python3"))
    func tableAgreesWithTheInstalledPython() throws {
        // Runs shlex.split on every input at once; words travel hex-encoded.
        let script = """
            import shlex, sys
            for line in sys.argv[1:]:
                try:
                    print("ok", *("w" + w.encode().hex() for w in shlex.split(line)))
                except ValueError:
                    print("error")
            """
        let inputs = Self.table.map(\.0) + Self.malformed
        let child = try ChildProcess.spawn(arguments: [pythonPath!, "-c", script] + inputs, environment: inheritedEnvironment())
        child.stdin?.close()
        defer { child.stdout.close(); child.stderr.close() }
        let output = try #require(try readToEnd(child.stdout))
        #expect(child.wait() == .exited(0))
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(lines.count == inputs.count)
        for (line, answer) in zip(inputs, lines) {
            let fields = answer.split(separator: " ")
            if fields.first == "error" {
                #expect(throws: ShellWords.Failure.self, "shlex refuses \(line)") { try ShellWords.split(line) }
            } else {
                let words = fields.dropFirst().map { String(decoding: unhex($0.dropFirst()), as: UTF8.self) }
                #expect(try ShellWords.split(line) == words, "shlex splits \(line)")
            }
        }
    }
}

private func unhex(_ text: Substring) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index ..< next], radix: 16)!)
        index = next
    }
    return bytes
}
