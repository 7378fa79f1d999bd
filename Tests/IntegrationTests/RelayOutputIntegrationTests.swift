import Foundation
import Testing

/// Task output through relays: whole, in order, byte for byte, and cut by
/// the output cap exactly where it says.
extension LabTests {
@Suite("output through relays", .serialized)
struct RelayOutputIntegrationTests {
    let tree = Lab.topology("tree")

    init() throws {
        try Lab.ensureUp("tree")
    }

    /// What `seq 1 n` prints, with an optional prefix on every line.
    static func seq(_ n: Int, prefix: String = "") -> String {
        var text = ""
        text.reserveCapacity(n * (prefix.count + 8))
        for i in 1 ... n { text += prefix + String(i) + "\n" }
        return text
    }

    /// The blocks of the minimal callback's output, by host: the header line
    /// and everything up to the next header.
    static func blocks(_ stdout: String) -> [String: (header: String, body: String)] {
        var result: [String: (header: String, body: String)] = [:]
        var current: (host: String, header: String, lines: [Substring])?
        func close() {
            if let current { result[current.host] = (current.header, current.lines.joined(separator: "\n")) }
        }
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains(" | ") && line.hasSuffix(">>"), let host = line.split(separator: " ").first {
                close()
                current = (String(host), String(line), [])
            } else {
                current?.lines.append(line)
            }
        }
        close()
        return result
    }

    @Test("several MB of stdout and stderr arrive byte for byte, one and two relays deep", arguments: ["t01", "u01"])
    func largeOutputThroughRelays(host: String) throws {
        let run = try Lab.rhizome(["exec", "-i", tree, host, "-m", "shell",
                                   "-a", "seq 1 700000; seq 1 300000 | sed 's/^/e/' >&2"])
        #expect(run.status == 0, "\(run.stderr)")
        let expected = "\(host) | CHANGED | rc=0 >>\n" + Self.seq(700_000) + Self.seq(300_000, prefix: "e").dropLast() + "\n"
        // A Bool, so that a failure prints sizes rather than megabytes.
        let exact = run.stdout == expected
        #expect(exact, "\(run.stdout.utf8.count) bytes of output, expected \(expected.utf8.count)")
        #expect(!run.stdout.contains("output cut"))
    }

    @Test("twelve hosts behind relays stream at once, each byte for byte")
    func manyHostsAtOnce() throws {
        let hosts = (1 ... 8).map { "t0\($0)" } + (1 ... 4).map { "u0\($0)" }
        let run = try Lab.rhizome(["exec", "-i", tree, "t*:u*", "-m", "command", "-a", "seq 1 300000"])
        #expect(run.status == 0, "\(run.stderr)")
        let blocks = Self.blocks(run.stdout)
        let body = String(Self.seq(300_000).dropLast())
        for host in hosts {
            let block = try #require(blocks[host], "no output for \(host)")
            #expect(block.header == "\(host) | CHANGED | rc=0 >>")
            let exact = block.body == body + "\n" || block.body == body
            #expect(exact, "\(host): \(block.body.utf8.count) bytes, expected \(body.utf8.count)")
        }
    }

    @Test("the output cap cuts each stream exactly at the cap, two relays deep, and says so only when it cut")
    func capThroughRelays() throws {
        let cap = 1_000_000
        func run(stdout: Int, stderr: Int) throws -> Lab.ProcessResult {
            try Lab.rhizome(["exec", "-i", tree, "u01", "-m", "shell", "--output-cap", "\(cap)",
                             "-a", "head -c \(stdout) /dev/zero | tr '\\0' o; head -c \(stderr) /dev/zero | tr '\\0' e >&2"])
        }
        let exact = try run(stdout: cap, stderr: cap)
        #expect(exact.status == 0)
        let lines = exact.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(lines.count) lines")
        #expect(lines.dropFirst().first == Substring(String(repeating: "o", count: cap)))
        #expect(lines.last == Substring(String(repeating: "e", count: cap)))
        #expect(!exact.stdout.contains("output cut"))

        let over = try run(stdout: cap + 1, stderr: 3 * cap)
        #expect(over.status == 0)
        let cut = over.stdout.split(separator: "\n")
        #expect(cut.count == 4, "\(cut.count) lines")
        #expect(cut.dropFirst().first == Substring(String(repeating: "o", count: cap)))
        #expect(cut.dropFirst(2).first == Substring(String(repeating: "e", count: cap)))
        #expect(cut.last == "[output cut at the --output-cap limit; stdout: 1 bytes dropped, stderr: \(2 * cap) bytes dropped]")
    }
}
}
