import Foundation
import Testing
@testable import RhizomeInventory

/// Compares Rhizome with ansible-inventory on the corpus, when ansible-core is
/// installed: `--list` and `--host` byte for byte, and pattern results in order.
/// Set RHIZOME_ANSIBLE_VENV (or run Tests/oracle/setup-venv.sh) to enable.
@Suite struct OracleTests {
    /// The venv's python, which runs Tests/oracle/oracle.py against its ansible-core.
    static let python: String? = {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var candidates: [String] = []
        if let venv = ProcessInfo.processInfo.environment["RHIZOME_ANSIBLE_VENV"], !venv.isEmpty {
            candidates.append(venv + "/bin/python3")
        }
        candidates.append(repo.appendingPathComponent(".build-oracle/venv/bin/python3").path)
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/ansible-inventory") {
                candidates.append("\(dir)/python3")
            }
        }
        let found = candidates.first { path in
            let bin = (path as NSString).deletingLastPathComponent
            return FileManager.default.isExecutableFile(atPath: path)
                && FileManager.default.isExecutableFile(atPath: bin + "/ansible-inventory")
        }
        if found == nil {
            print("notice: ansible-inventory is not available; the oracle comparison is skipped "
                  + "(set RHIZOME_ANSIBLE_VENV or run Tests/oracle/setup-venv.sh)")
        }
        return found
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("oracle/oracle.py").path

    static var comparable: [String] {
        CorpusCase.names.filter { name in
            guard let (spec, _) = try? CorpusCase.load(name) else { return false }
            return spec.error == nil && spec.oracle != false
        }
    }

    @Test(.enabled(if: python != nil, "ansible-inventory is not available"), arguments: comparable)
    func matchesAnsible(_ name: String) async throws {
        let python = try #require(Self.python)
        let (spec, dir) = try CorpusCase.load(name)
        let inventory = try spec.load(in: dir)
        let hosts = spec.oracleHosts ?? Array(inventory.hostNames.prefix(3))
        let patterns: [[String: String]] = (spec.select ?? []).map { s in
            var entry = ["pattern": s.pattern]
            if let limit = s.limit { entry["limit"] = limit.hasPrefix("@") ? "@" + dir.appendingPathComponent(String(limit.dropFirst())).path : limit }
            return entry
        }
        let request: [String: Any] = [
            "sources": spec.absoluteSources(in: dir), "extraVars": spec.absoluteExtraVars(in: dir),
            "hosts": hosts, "patterns": patterns,
        ]
        let answer = try await Self.ask(python, request)
        let listText = try #require(answer["list"] as? String, "ansible-inventory failed: \(answer["listError"] ?? "")")
        let ours = try inventory.listJSON()
        #expect(ours == listText.trimmingCharacters(in: .newlines), "--list differs from ansible-inventory:\n\(Self.firstDifference(ours, listText))")
        let hostAnswers = answer["host"] as? [String: Any] ?? [:]
        for host in hosts {
            let theirs = (hostAnswers[host] as? String)?.trimmingCharacters(in: .newlines)
            #expect(try inventory.hostJSON(host) == theirs, "--host \(host) differs")
        }
        let patternAnswers = answer["patterns"] as? [[String: Any]] ?? []
        for (selection, theirs) in zip(spec.select ?? [], patternAnswers) {
            let limit = selection.limit.map { $0.hasPrefix("@") ? "@" + dir.appendingPathComponent(String($0.dropFirst())).path : $0 }
            if let error = theirs["error"] as? String {
                #expect(throws: (any Error).self, "ansible: \(error)") { try inventory.select(selection.pattern, limit: limit) }
                continue
            }
            let expected = theirs["hosts"] as? [String] ?? []
            #expect(try inventory.select(selection.pattern, limit: limit).map(\.name) == expected,
                    "pattern '\(selection.pattern)' limit \(selection.limit ?? "-") differs from ansible")
        }
    }

    static func ask(_ python: String, _ request: [String: Any]) async throws -> [String: Any] {
        let specFile = NSTemporaryDirectory() + "rhizome-oracle-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: request).write(to: URL(fileURLWithPath: specFile))
        defer { try? FileManager.default.removeItem(atPath: specFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, specFile]
        let out = Pipe()
        process.standardOutput = out
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Drain stderr concurrently so that a chatty ansible cannot fill the pipe and stall.
        let errorText = Task.detached { errors.fileHandleForReading.readDataToEndOfFile() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: await errorText.value, as: UTF8.self)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InventoryError("oracle.py printed no JSON: \(stderr.suffix(2000))")
        }
        return object
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let la = a.split(separator: "\n", omittingEmptySubsequences: false)
        let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(la.count, lb.count) {
            let x = i < la.count ? String(la[i]) : "<end>"
            let y = i < lb.count ? String(lb[i]) : "<end>"
            if x != y { return "line \(i + 1):\n  rhizome: \(x)\n  ansible: \(y)" }
        }
        return "(same)"
    }
}
