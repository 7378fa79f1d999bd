@testable import RhizomeSSH
import Testing

@Suite struct KnownHostsParsingTests {
    let key = fakeKey("a")

    @Test func keepsEveryLineAndParsesTheEntries() {
        let text = """
            # a comment
            web.lab \(key.knownHostsText) root@web

            \t
            garbage
            @revoked bad.lab \(key.knownHostsText)
            @cert-authority *.lab \(key.knownHostsText)
            \tdb.lab\t\(key.knownHostsText)
            """
        let known = KnownHosts(text: text, source: "/etc/known_hosts")
        #expect(known.source == "/etc/known_hosts")
        #expect(known.lines == text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        #expect(known.entries.map(\.line) == [2, 6, 7, 8])
        #expect(known.entries.map(\.hosts) == ["web.lab", "bad.lab", "*.lab", "db.lab"])
        #expect(known.entries.map(\.marker) == [.none, .revoked, .certAuthority, .none])
        #expect(known.entries.allSatisfy { $0.key == key })
    }

    @Test func linesAndTextGiveTheSameResult() {
        let lines = ["a.lab \(key.knownHostsText)", "", "b.lab \(key.knownHostsText)"]
        #expect(KnownHosts(lines: lines, source: "x") == KnownHosts(text: lines.joined(separator: "\n"), source: "x"))
    }

    @Test(arguments: [
        "",
        "   ",
        "# web.lab ssh-ed25519 AAAA",
        "  # indented comment",
        "lonelyword",
        "web.lab ssh-ed25519",
        "web.lab ssh-ed25519 !!!not-base64!!!",
        "web.lab ssh-ed25519 ====",
        "@revoked",
        "@revoked web.lab ssh-ed25519",
        "@unknown-marker web.lab ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
        "@REVOKED web.lab ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
    ])
    func lineThatIsNotAnEntryIsSkipped(line: String) {
        let known = KnownHosts(lines: [line], source: "x")
        #expect(known.entries.isEmpty)
        #expect(known.lines == [line])
    }

    @Test func textAfterTheKeyIsAComment() throws {
        let known = KnownHosts(lines: ["web.lab \(key.knownHostsText) some comment words"], source: "x")
        let parsed = try #require(known.entries.first)
        #expect(parsed.key == key)
        #expect(known.check(host: "web.lab", port: 22, key: key) == .match)
    }
}

@Suite struct KnownHostsMatchingTests {
    let a = fakeKey("a")
    let b = fakeKey("b")
    let rsa = fakeKey("r", type: "ssh-rsa")

    @Test func plainEntry() {
        let known = KnownHosts(lines: [entry("web.lab", a)], source: "x")
        #expect(known.check(host: "web.lab", port: 22, key: a) == .match)
        #expect(known.check(host: "WEB.LAB", port: 22, key: a) == .match)
        #expect(known.check(host: "web.lab", port: 22, key: b) == .mismatch(known: known.entries))
        #expect(known.check(host: "db.lab", port: 22, key: a) == .unknown)
        #expect(known.check(host: "web.lab.example", port: 22, key: a) == .unknown)
        #expect(known.check(host: "web", port: 22, key: a) == .unknown)
    }

    @Test func commaSeparatedNames() {
        let known = KnownHosts(lines: [entry("web.lab,10.0.0.5,web", a)], source: "x")
        for name in ["web.lab", "10.0.0.5", "web"] {
            #expect(known.check(host: name, port: 22, key: a) == .match)
        }
        #expect(known.check(host: "10.0.0.50", port: 22, key: a) == .unknown)
        #expect(known.check(host: "web.lab,10.0.0.5,web", port: 22, key: a) == .unknown)
    }

    @Test(arguments: [
        ("*", "anything.at.all", true),
        ("*.lab", "web.lab", true),
        ("*.lab", "a.b.lab", true),
        ("*.lab", "lab", false),
        ("*.lab", "web.lab.org", false),
        ("web?.lab", "web1.lab", true),
        ("web?.lab", "web.lab", false),
        ("web?.lab", "web10.lab", false),
        ("w*b*.lab", "wXbY.lab", true),
        ("w*b*.lab", "wb.lab", true),
        ("10.0.0.*", "10.0.0.17", true),
        ("10.0.0.*", "10.0.1.17", false),
        ("*.LAB", "Web.Lab", true),
        ("?", "", false),
        ("**", "", true),
    ])
    func wildcards(pattern: String, name: String, matches: Bool) {
        #expect(KnownHosts.matches(patterns: pattern, name: name) == matches)
    }

    @Test func negatedPatternExcludesAHostTheOthersMatch() {
        let known = KnownHosts(lines: [entry("*.lab,!bad.lab", a)], source: "x")
        #expect(known.check(host: "web.lab", port: 22, key: a) == .match)
        #expect(known.check(host: "bad.lab", port: 22, key: a) == .unknown)
        // Order does not matter: a negation wins wherever it is.
        #expect(KnownHosts.matches(patterns: "!bad.lab,*.lab", name: "bad.lab") == false)
        #expect(KnownHosts.matches(patterns: "!*.lab,bad.lab", name: "bad.lab") == false)
        // A negation alone matches nothing.
        #expect(KnownHosts.matches(patterns: "!bad.lab", name: "web.lab") == false)
    }

    @Test func nonStandardPortsUseBracketedNames() {
        let known = KnownHosts(lines: [entry("[10.0.0.5]:2222", a), entry("10.0.0.6", a), entry("[*.lab]:2200", a),
                                       entry("[::1]:2222", a)], source: "x")
        #expect(known.check(host: "10.0.0.5", port: 2222, key: a) == .match)
        #expect(known.check(host: "10.0.0.5", port: 22, key: a) == .unknown)
        #expect(known.check(host: "10.0.0.5", port: 2223, key: a) == .unknown)
        // A plain entry is for port 22; on another port, ssh accepts the very same key
        // from it when the bracketed name is not listed at all ("checking without port identifier").
        #expect(known.check(host: "10.0.0.6", port: 22, key: a) == .match)
        #expect(known.check(host: "10.0.0.6", port: 2222, key: a) == .match)
        #expect(known.check(host: "10.0.0.6", port: 2222, key: b) == .unknown)
        #expect(known.check(host: "web.lab", port: 2200, key: a) == .match)
        #expect(known.check(host: "web.lab", port: 22, key: a) == .unknown)
        #expect(known.check(host: "::1", port: 2222, key: a) == .match)
    }

    @Test func hashedEntriesWrittenBySshKeygen() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/known_hosts"
            try writeText(file, [entry("web.lab", a), entry("[10.1.2.3]:2222", b), entry("x.lab,y.lab", rsa)]
                .joined(separator: "\n") + "\n")
            let result = try shell("ssh-keygen -H -f '\(file)' 2>&1")
            #expect(result.status == 0)
            let known = KnownHosts(text: try readText(file), source: file)
            #expect(known.entries.count == 4)
            #expect(known.entries.allSatisfy { $0.hosts.hasPrefix("|1|") })
            #expect(!known.lines.joined().contains("lab"))

            #expect(known.check(host: "web.lab", port: 22, key: a) == .match)
            #expect(known.check(host: "web.lab", port: 22, key: b) == .mismatch(known: [known.entries[0]]))
            #expect(known.check(host: "10.1.2.3", port: 2222, key: b) == .match)
            #expect(known.check(host: "10.1.2.3", port: 22, key: b) == .unknown)
            #expect(known.check(host: "x.lab", port: 22, key: rsa) == .match)
            #expect(known.check(host: "y.lab", port: 22, key: rsa) == .match)
            #expect(known.check(host: "z.lab", port: 22, key: rsa) == .unknown)
            #expect(known.keyTypes(host: "x.lab", port: 22) == ["ssh-rsa"])
        }
    }

    @Test(arguments: ["|1|", "|1|abc", "|1|!!|!!", "|1|c2FsdA==|aGFzaA==|extra", "|2|c2FsdA==|aGFzaA=="])
    func malformedHashedNamesMatchNothing(field: String) {
        #expect(!KnownHosts.matches(patterns: field, name: "web.lab"))
        #expect(!KnownHosts.matches(patterns: field, name: ""))
    }

    @Test func hashedEntriesMatchNamesInAnyCase() throws {
        // ssh lowercases the host name before looking it up, hashed or not.
        try withTemporaryDirectory { directory in
            let file = directory + "/known_hosts"
            try writeText(file, entry("web.lab", a) + "\n" + entry("[db.lab]:2222", a) + "\n")
            #expect(try shell("ssh-keygen -H -f '\(file)' 2>&1").status == 0)
            let known = KnownHosts(text: try readText(file), source: file)
            #expect(known.check(host: "WEB.Lab", port: 22, key: a) == .match)
            #expect(known.check(host: "DB.LAB", port: 2222, key: a) == .match)
            #expect(known.keyTypes(host: "Web.Lab", port: 22) == ["ssh-ed25519"])
        }
    }

    @Test func revokedKeyIsRefusedEvenIfAlsoListedAsKnown() throws {
        let known = KnownHosts(lines: [entry("web.lab", a), entry("*", a, marker: "@revoked"), entry("web.lab", b)],
                               source: "x")
        guard case .revoked(let revoked) = known.check(host: "web.lab", port: 22, key: a) else {
            Issue.record("a revoked key was accepted")
            return
        }
        #expect(revoked.line == 2)
        #expect(revoked.marker == .revoked)
        #expect(known.check(host: "web.lab", port: 22, key: b) == .match)
        #expect(known.check(host: "db.lab", port: 22, key: b) == .unknown)
        #expect(known.keyTypes(host: "db.lab", port: 22) == [])
    }

    @Test func revocationOnlyAppliesToTheHostsItNames() {
        let known = KnownHosts(lines: [entry("web.lab", a), entry("db.lab", a, marker: "@revoked")], source: "x")
        #expect(known.check(host: "web.lab", port: 22, key: a) == .match)
        #expect(known.check(host: "db.lab", port: 22, key: a) == .revoked(known.entries[1]))
    }

    @Test func certificateAuthoritiesAreNotHostKeys() {
        let known = KnownHosts(lines: [entry("*.lab", a, marker: "@cert-authority")], source: "x")
        #expect(known.entries.count == 1)
        // Said apart from "unknown", so that the refusal can name the line and the reason.
        #expect(known.check(host: "web.lab", port: 22, key: a) == .certificateAuthorities(known.entries))
        #expect(known.check(host: "web.org", port: 22, key: a) == .unknown)
        #expect(known.keyTypes(host: "web.lab", port: 22) == [])
    }

    @Test func mismatchListsTheKnownKeysOfTheSameType() {
        let known = KnownHosts(lines: [entry("web.lab", a), entry("web.lab", rsa), entry("*.lab", fakeKey("c")),
                                       entry("db.lab", fakeKey("d"))], source: "x")
        #expect(known.check(host: "web.lab", port: 22, key: b) == .mismatch(known: [known.entries[0], known.entries[2]]))
        #expect(known.check(host: "web.lab", port: 22, key: fakeKey("c")) == .match)
        #expect(known.check(host: "web.lab", port: 22, key: rsa) == .match)
    }

    @Test func keyOfATypeNotKnownForTheHostListsAllItsKeys() {
        let known = KnownHosts(lines: [entry("web.lab", rsa), entry("web.lab", fakeKey("e", type: "ecdsa-sha2-nistp256"))],
                               source: "x")
        #expect(known.check(host: "web.lab", port: 22, key: a) == .otherTypes(known: known.entries))
    }

    @Test func keyTypesInTheOrderTheyAppear() {
        let known = KnownHosts(lines: [
            entry("web.lab", rsa),
            entry("*.lab", a),
            entry("web.lab", fakeKey("z", type: "ssh-rsa")),
            entry("web.lab", fakeKey("r", type: "ecdsa-sha2-nistp384"), marker: "@revoked"),
            entry("web.lab", fakeKey("c", type: "ecdsa-sha2-nistp521"), marker: "@cert-authority"),
            entry("[web.lab]:2222", fakeKey("p", type: "ecdsa-sha2-nistp256")),
            entry("db.lab", fakeKey("d", type: "ecdsa-sha2-nistp256")),
        ], source: "x")
        #expect(known.keyTypes(host: "web.lab", port: 22) == ["ssh-rsa", "ssh-ed25519"])
        #expect(known.keyTypes(host: "web.lab", port: 2222) == ["ecdsa-sha2-nistp256"])
        #expect(known.keyTypes(host: "other", port: 22) == [])
    }

    @Test func lineRecordsTheHostAsOpenSSHWould() {
        #expect(KnownHosts.line(host: "web.lab", port: 22, key: a) == "web.lab \(a.knownHostsText)")
        #expect(KnownHosts.line(host: "web.lab", port: 2222, key: a) == "[web.lab]:2222 \(a.knownHostsText)")
        #expect(KnownHosts.line(host: "::1", port: 2222, key: a) == "[::1]:2222 \(a.knownHostsText)")
        #expect(a.knownHostsText == "ssh-ed25519 \(Base64.encode(a.blob))")
    }

    @Test(arguments: [("web.lab", 22), ("web.lab", 2222), ("10.0.0.1", 22), ("::1", 2222), ("fe80::1", 22)])
    func appendedLineMatchesAtOnce(host: String, port: Int) {
        var known = KnownHosts(lines: ["# header", entry("other.lab", b)], source: "x")
        #expect(known.check(host: host, port: port, key: a) == .unknown)
        let line = KnownHosts.line(host: host, port: port, key: a)
        known.append(line)
        #expect(known.lines == ["# header", entry("other.lab", b), line])
        #expect(known.entries.last?.line == 3)
        #expect(known.check(host: host, port: port, key: a) == .match)
        // A bracketed line is for its port only; a plain one is also the fallback for other ports.
        #expect(known.check(host: host, port: port == 22 ? 2022 : 22, key: a) == (port == 22 ? .match : .unknown))
    }

    @Test func appendingACommentAddsALineButNoEntry() {
        var known = KnownHosts(lines: [], source: "x")
        known.append("# added by rhizome")
        #expect(known.lines == ["# added by rhizome"])
        #expect(known.entries.isEmpty)
    }
}

/// What a relay gets of the controller's file, and how its messages name lines.
@Suite struct KnownHostsSelectionTests {
    let a = fakeKey("a")
    let b = fakeKey("b")

    var file: KnownHosts {
        KnownHosts(text: [
            "# header",
            entry("web.lab", a),
            entry("db.lab", b),
            "",
            entry("[web.lab]:2222", b),
            entry("*.lab,!db.lab", b, marker: "@revoked"),
            entry("*.corp", a, marker: "@cert-authority"),
            entry("alias-web", a),
        ].joined(separator: "\n") + "\n", source: "/k/known_hosts")
    }

    @Test func aRelayGetsTheHostsLinesWithTheirNumbers() {
        let selected = file.lines(for: "web.lab", port: 22)
        #expect(selected.numbers == [2, 6])
        #expect(selected.lines == [entry("web.lab", a), entry("*.lab,!db.lab", b, marker: "@revoked")])
        // Off port 22: the bracketed name, and the plain name ssh falls back on.
        #expect(file.lines(for: "web.lab", port: 2222).numbers == [2, 5, 6])
        #expect(file.lines(for: "db.lab", port: 22).numbers == [3])
        #expect(file.lines(for: "nosuch.org", port: 22).numbers == [])
        #expect(file.allEntryLines.numbers == [2, 3, 5, 6, 7, 8])
    }

    @Test func theRelaysCopyNamesTheControllersLines() {
        let selected = file.lines(for: "db.lab", port: 22)
        let relay = KnownHosts(lines: selected.lines, numbers: selected.numbers, source: "/k/known_hosts")
        // Line 3 of the file, not line 1 of what was sent (another host's line, in general).
        #expect(relay.check(host: "db.lab", port: 22, key: a) == .mismatch(known: [
            KnownHosts.Entry(marker: .none, hosts: "db.lab", key: b, line: 3),
        ]))
        let everything = file.allEntryLines
        let full = KnownHosts(lines: everything.lines, numbers: everything.numbers, source: "/k/known_hosts")
        guard case .revoked(let revoked) = full.check(host: "web.lab", port: 22, key: b) else {
            Issue.record("revoked key accepted")
            return
        }
        #expect(revoked.line == 6)
    }

    @Test func aWholeFileEndingInANewlineNumbersAppendedLinesAfterItsLast() {
        var known = file
        #expect(known.lines.count == 8)
        known.append(entry("new.lab", a))
        #expect(known.entries.last?.line == 9)
    }

    @Test func hostKeyAliasIsLookedUpAsWrittenWithNoPort() {
        #expect(file.check(name: "alias-web", key: a) == .match)
        #expect(file.check(name: "ALIAS-WEB", key: a) == .match)
        #expect(file.check(name: "alias-web", key: b) == .mismatch(known: [file.entries[5]]))
        #expect(file.keyTypes(name: "alias-web") == ["ssh-ed25519"])
        #expect(file.lines(for: "alias-web", port: 22).numbers == [8])
    }

    @Test func portFallbackNeedsTheSameKey() {
        // [web.lab]:2222 is listed with b: no fallback to web.lab's a.
        #expect(file.check(host: "web.lab", port: 2222, key: a) == .mismatch(known: [file.entries[2]]))
        // `*.lab` is not matched by "[web.lab]:2222": as in ssh, the revocation is for port 22.
        #expect(file.check(host: "web.lab", port: 2222, key: b) == .match)
        #expect(file.check(host: "web.lab", port: 22, key: b) == .revoked(file.entries[3]))
        // db.lab has no bracketed entry: its port-22 key is accepted on 2200, another key is not.
        #expect(file.check(host: "db.lab", port: 2200, key: b) == .match)
        #expect(file.check(host: "db.lab", port: 2200, key: a) == .unknown)
        #expect(file.keyTypes(host: "db.lab", port: 2200) == ["ssh-ed25519"])
    }

    @Test func certificateAuthoritiesOnlyNameTheirLines() {
        #expect(file.check(host: "app.corp", port: 22, key: b) == .certificateAuthorities([file.entries[4]]))
        #expect(file.entries[4].line == 7)
        // A plain entry for the host wins over the authority.
        let both = KnownHosts(lines: [entry("*.corp", a, marker: "@cert-authority"), entry("app.corp", b)], source: "x")
        #expect(both.check(host: "app.corp", port: 22, key: b) == .match)
        #expect(both.check(host: "app.corp", port: 22, key: a) == .mismatch(known: [both.entries[1]]))
    }

    @Test func negationExcludesAHostFromRevocation() {
        #expect(file.check(host: "db.lab", port: 22, key: b) == .match)
    }
}
