import Testing
@testable import RhizomeInventory

@Suite struct HostPatternTests {
    static let splitCases: [(String, [String])] = [
        ("a,b[1], c[2:3] , d", ["a", "b[1]", "c[2:3]", "d"]),
        ("web:&db:!web1", ["web", "&db", "!web1"]),
        ("web[1:3]:db", ["web[1:3]", "db"]),
        ("::1", ["::1"]),
        ("host:22", ["host:22"]),
        ("a b", ["a", "b"]),
        ("", []),
        ("a,,b,", ["a", "b"]),
    ]

    @Test(arguments: splitCases)
    func splits(_ pattern: String, _ parts: [String]) {
        #expect(HostPattern.split(pattern) == parts)
    }

    static let subscriptCases: [(String, String, HostPattern.Subscript?)] = [
        ("web[0]", "web", .index(0)), ("web[-1]", "web", .index(-1)), ("web[1:3]", "web", .range(1, 3)),
        ("web[2:]", "web", .range(2, nil)), ("web[1-2]", "web", .range(1, 2)), ("~web[0]", "~web[0]", nil),
        ("web", "web", nil), ("web[a]", "web[a]", nil),
    ]

    @Test(arguments: subscriptCases)
    func subscripts(_ pattern: String, _ base: String, _ expected: HostPattern.Subscript?) {
        let (b, s) = HostPattern.splitSubscript(pattern)
        #expect(b == base)
        #expect(s == expected)
    }

    static let globCases: [(String, String, Bool)] = [
        ("web*", "web01", true), ("web?", "web1", true), ("web?", "web10", false), ("*.dc1", "a.dc1", true),
        ("w[0-9]", "w5", true), ("w[!0-9]", "w5", false), ("w[!0-9]", "wx", true), ("w[", "w[", true),
        ("*", "", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
    ]

    @Test(arguments: globCases)
    func globs(_ pattern: String, _ name: String, _ matches: Bool) {
        #expect(NameMatcher.fnmatch(Array(name), Array(pattern)) == matches)
    }

    @Test func patternsOnAnInventory() throws {
        let inventory = try Scratch().load("hosts.ini", """
            [web]
            web[1:4]
            [db]
            db1
            web2
            [prod:children]
            web
            db
            """)
        #expect(try inventory.select("~web[13]").map(\.name) == ["web1", "web3"])
        #expect(try inventory.select("prod:!web[0]").map(\.name) == ["web2", "web3", "web4", "db1"])
        #expect(try inventory.select("web[0:0]").map(\.name) == ["web1"])
        #expect(try inventory.select("all", limit: "db").map(\.name) == ["web2", "db1"])
        #expect(try inventory.select("&db").map(\.name) == ["web2", "db1"])
        #expect(try inventory.select("!db").map(\.name) == ["web1", "web3", "web4"])
        #expect(try inventory.select("nothing").isEmpty)
        #expect(try inventory.match("nothing,web1").unmatched == ["nothing"])
        #expect(throws: InventoryError.self) { try inventory.select("web[9]") }
        #expect(throws: InventoryError.self) { try inventory.select("~[") }
        let local = try inventory.select("localhost")
        #expect(local.map(\.name) == ["localhost"])
        #expect(local.first?.connection.kind == .local)
    }

    @Test func limitFromRetryFile() throws {
        let scratch = Scratch()
        let retry = scratch.write("site.retry", "web3\nweb1\n\n")
        let inventory = try scratch.load("hosts.ini", "[web]\nweb[1:4]\n")
        #expect(try inventory.select("web", limit: "@" + retry).map(\.name) == ["web1", "web3"])
        #expect(throws: InventoryError.self) { try inventory.select("web", limit: "@/nonexistent.retry") }
    }
}
