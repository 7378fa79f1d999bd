import Foundation
@testable import RhizomeInventory

/// One inventory of the corpus (`Corpus/NAME/`) and what it must resolve to (`case.json`).
struct CorpusCase: Decodable, Sendable {
    struct Selection: Decodable, Sendable {
        var pattern: String
        var limit: String?
        var hosts: [String]?
        /// Part of the error text when the pattern must fail.
        var error: String?
    }

    struct Connection: Decodable, Sendable {
        var address: String?
        var port: Int?
        var user: String?
        var identityFiles: [String]?
        var knownHostsFile: String?
        var hostKeyChecking: String?
        var connectTimeout: Double?
        var kind: String?
        var viaMode: String?
        var become: Bool?
        var becomeUser: String?
        var becomeMethod: String?
        var hasPassword: Bool?
        var hops: [String]?
        var groups: [String]?
    }

    struct ExpectedError: Decodable, Sendable {
        var code: String
        var file: String?
        var line: Int?
        var column: Int?
        var contains: [String]?
    }

    var description: String?
    var sources: [String]
    var extraVars: [String]?
    var sshConfig: String?
    /// false when ansible-inventory is not asked (with `oracleNote` saying why).
    var oracle: Bool?
    var oracleNote: String?
    var select: [Selection]?
    var hosts: [String: Connection]?
    var error: ExpectedError?
    var warnings: [String]?
    /// Hosts whose `--host` output the oracle test compares (default: the first few).
    var oracleHosts: [String]?

    static var root: URL? {
        Bundle.module.url(forResource: "Corpus", withExtension: nil)
    }

    static var names: [String] {
        guard let root else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return entries.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0 + "/case.json").path) }
            .sorted()
    }

    static func load(_ name: String) throws -> (CorpusCase, URL) {
        guard let root else { throw InventoryError("corpus not found in the test bundle") }
        let dir = root.appendingPathComponent(name)
        let data = try Data(contentsOf: dir.appendingPathComponent("case.json"))
        return (try JSONDecoder().decode(CorpusCase.self, from: data), dir)
    }

    /// Sources with paths made absolute (comma lists stay as they are).
    func absoluteSources(in dir: URL) -> [String] {
        sources.map { source in
            source.contains(",") && !FileManager.default.fileExists(atPath: dir.appendingPathComponent(source).path)
                ? source : dir.appendingPathComponent(source).path
        }
    }

    func absoluteExtraVars(in dir: URL) -> [String] {
        (extraVars ?? []).map { $0.hasPrefix("@") ? "@" + dir.appendingPathComponent(String($0.dropFirst())).path : $0 }
    }

    func load(in dir: URL) throws -> Inventory {
        try Inventory.load(sources: absoluteSources(in: dir), extraVars: absoluteExtraVars(in: dir),
                           sshConfig: sshConfig.map { dir.appendingPathComponent($0).path } ?? "")
    }
}
