import Testing
@testable import RhizomeInventory

@Suite struct HostRangeTests {
    static let expansions: [(String, [String], Int?)] = [
        ("web[01:03].dc1", ["web01.dc1", "web02.dc1", "web03.dc1"], nil),
        ("db-[a:c]", ["db-a", "db-b", "db-c"], nil),
        ("n[0:10:5]", ["n0", "n5", "n10"], nil),
        ("n[:2]", ["n0", "n1", "n2"], nil),
        ("r[1:2]c[a:b]", ["r1ca", "r1cb", "r2ca", "r2cb"], nil),
        ("h[1:3]:2222", ["h1", "h2", "h3"], 2222),
        ("host:22", ["host"], 22),
        ("[::1]:2200", ["::1"], 2200),
        ("::1", ["::1"], nil),
        ("10.0.0.[1:2]", ["10.0.0.1", "10.0.0.2"], nil),
        ("[x:Z]", ["x", "y", "z", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R",
                   "S", "T", "U", "V", "W", "X", "Y", "Z"], nil),
        ("n[5:1]", [], nil),
        ("weird host:22", ["weird host:22"], nil),
    ]

    @Test(arguments: expansions)
    func expands(_ pattern: String, _ hosts: [String], _ port: Int?) throws {
        let result = try HostRange.expand(pattern)
        #expect(result.hosts == hosts)
        #expect(result.port == port)
    }

    static let errors = ["web[01:5]", "web[1:x]", "web[1:2:0]", "web[1]", "web[1:2", "a]b[1:2]", "[b:a]", "n[0:99999999]"]

    @Test(arguments: errors)
    func rejects(_ pattern: String) {
        #expect(throws: HostRangeError.self) { try HostRange.expand(pattern) }
    }

    @Test func patternsCompile() {
        let p = HostRange.Patterns.shared
        #expect(p.bracketedHostPort != nil && p.hostPort != nil && p.ipv4 != nil && p.ipv6 != nil && p.hostname != nil)
    }
}
