import Foundation
import Testing
@testable import RhizomeInventory

/// Every inventory of the corpus resolves as its `case.json` says, and prints
/// `--list` exactly as `expected-list.json` (recorded from ansible-inventory).
@Suite struct CorpusTests {
    @Test(arguments: CorpusCase.names)
    func resolves(_ name: String) throws {
        let (spec, dir) = try CorpusCase.load(name)
        if let expected = spec.error {
            let error = #expect(throws: InventoryError.self) { try spec.load(in: dir) }
            guard let error else { return }
            #expect(error.code.rawValue == expected.code, "\(error)")
            if let file = expected.file { #expect(error.file == dir.appendingPathComponent(file).path, "\(error)") }
            if let line = expected.line { #expect(error.line == line, "\(error)") }
            if let column = expected.column { #expect(error.column == column, "\(error)") }
            for text in expected.contains ?? [] { #expect(error.description.contains(text), "\(error)") }
            return
        }
        let inventory = try spec.load(in: dir)
        for text in spec.warnings ?? [] {
            #expect(inventory.warnings.contains { $0.contains(text) }, "no warning containing '\(text)' in \(inventory.warnings)")
        }
        if spec.warnings == nil {
            #expect(inventory.warnings.isEmpty, "unexpected warnings: \(inventory.warnings)")
        }
        let listFile = dir.appendingPathComponent("expected-list.json")
        if let expected = try? String(contentsOf: listFile, encoding: .utf8) {
            let ours = try inventory.listJSON()
            #expect(ours == expected.trimmingCharacters(in: .newlines), "--list differs from expected-list.json")
        }
        for selection in spec.select ?? [] {
            if let error = selection.error {
                #expect { try inventory.select(selection.pattern, limit: selection.limit.map { absoluteLimit($0, dir) }) } throws: {
                    "\($0)".contains(error)
                }
                continue
            }
            let names = try inventory.select(selection.pattern, limit: selection.limit.map { absoluteLimit($0, dir) })
                .map(\.name)
            #expect(names == selection.hosts, "pattern '\(selection.pattern)' limit \(selection.limit ?? "-")")
        }
        for (hostName, expected) in spec.hosts ?? [:] {
            let host = try #require(inventory.host(named: hostName), "no host \(hostName)")
            check(host, expected)
        }
        let treeFile = dir.appendingPathComponent("expected-tree.txt")
        if let expected = try? String(contentsOf: treeFile, encoding: .utf8) {
            let tree = inventory.hopTree(for: try inventory.select("all")).render()
            #expect(tree == expected.trimmingCharacters(in: .newlines), "--tree differs:\n\(tree)")
        }
    }

    private func absoluteLimit(_ limit: String, _ dir: URL) -> String {
        limit.hasPrefix("@") ? "@" + dir.appendingPathComponent(String(limit.dropFirst())).path : limit
    }

    private func check(_ host: ResolvedHost, _ expected: CorpusCase.Connection) {
        let c = host.connection
        let name = host.name
        if let v = expected.address { #expect(c.address == v, "\(name) address") }
        if let v = expected.port { #expect(c.port == v, "\(name) port") }
        if let v = expected.user { #expect(c.user == (v.isEmpty ? nil : v), "\(name) user") }
        if let v = expected.identityFiles { #expect(c.identityFiles == v, "\(name) identity files") }
        if let v = expected.knownHostsFile { #expect(c.knownHostsFile == v, "\(name) known_hosts") }
        if let v = expected.hostKeyChecking { #expect(c.hostKeyChecking?.rawValue == v, "\(name) host key checking") }
        if let v = expected.connectTimeout { #expect(c.connectTimeout == v, "\(name) connect timeout") }
        if let v = expected.kind { #expect(c.kind.rawValue == v, "\(name) kind") }
        if let v = expected.viaMode { #expect(c.viaMode.rawValue == v, "\(name) via mode") }
        if let v = expected.become { #expect(c.become == v, "\(name) become") }
        if let v = expected.becomeUser { #expect(c.becomeUser == v, "\(name) become user") }
        if let v = expected.becomeMethod { #expect(c.becomeMethod == v, "\(name) become method") }
        if let v = expected.hasPassword { #expect((c.password != nil) == v, "\(name) password") }
        if let v = expected.hops { #expect(host.hops.map(\.name) == v, "\(name) hops") }
        if let v = expected.groups { #expect(host.groups == v, "\(name) groups") }
    }
}
