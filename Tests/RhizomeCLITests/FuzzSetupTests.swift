import Foundation
import Testing

/// `make test` fuzzes every target for a bounded time, and what a crash
/// leaves lands where the unit tests replay it.
@Suite struct FuzzSetupTests {
    static let root = InstallTests.root

    @Test("make test runs Fuzz/run-all.sh for FUZZ_SECONDS after the suite, and make fuzz does the same alone")
    func makeTargets() throws {
        let test = try InstallTests.run("/usr/bin/make", ["-n", "-C", Self.root.path, "test", "FUZZ_SECONDS=7"])
        #expect(test.status == 0, "\(test.output)")
        let suite = try #require(test.output.range(of: "test --no-parallel"))
        let fuzz = try #require(test.output.range(of: "Fuzz/run-all.sh 7 || status=1"))
        #expect(suite.upperBound <= fuzz.lowerBound)
        let alone = try InstallTests.run("/usr/bin/make", ["-n", "-C", Self.root.path, "fuzz"])
        #expect(alone.output.contains("Fuzz/run-all.sh 20"))
    }

    @Test("every target writes its findings into a directory a replay test reads")
    func findingsAreReplayed() throws {
        let script = try String(contentsOf: Self.root.appendingPathComponent("Fuzz/run-all.sh"), encoding: .utf8)
        let replayed = [
            ("Tests/RhizomeWireTests/FuzzFindings", "Tests/RhizomeWireTests/FuzzFindingsTests.swift"),
            ("Tests/RhizomeInventoryTests/Corpus/fuzz-findings", "Tests/RhizomeInventoryTests/FuzzRegressionTests.swift"),
        ]
        for (directory, test) in replayed {
            #expect(script.contains("FUZZ_FINDINGS=\"$root/\(directory)\""), "\(directory)")
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(directory).path, isDirectory: &isDirectory)
                        && isDirectory.boolValue)
            let source = try String(contentsOf: Self.root.appendingPathComponent(test), encoding: .utf8)
            #expect(source.contains(directory.split(separator: "/").last!), "\(test) does not read \(directory)")
        }
        for target in ["wire", "ini", "range"] { #expect(script.contains("\"$out/\(target).log\"")) }
    }
}
