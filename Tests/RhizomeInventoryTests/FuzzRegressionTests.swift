import Foundation
import Testing
@testable import RhizomeInventory

/// Inputs found by the libFuzzer targets in Fuzz/InventoryFuzz, kept so they stay fixed,
/// plus a small deterministic mutation run over the corpus.
@Suite struct FuzzRegressionTests {
    static var findings: [String] {
        guard let root = CorpusCase.root?.appendingPathComponent("fuzz-findings") else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }

    static func data(_ name: String) throws -> String {
        let root = try #require(CorpusCase.root?.appendingPathComponent("fuzz-findings"))
        let data = try Data(contentsOf: root.appendingPathComponent(name))
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: findings)
    func findingIsHandled(_ name: String) throws {
        let text = try Self.data(name)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            exercise(text)
        }
        #expect(elapsed < .seconds(5), "\(name) took \(elapsed)")
    }

    /// What the fuzz targets do with one input.
    private func exercise(_ text: String) {
        var graph = InventoryGraph()
        var parser = INIInventoryParser(file: "finding.ini")
        if (try? parser.parse(text, into: &graph)) != nil {
            graph.reconcile()
        }
        _ = try? HostRange.expand(text)
        _ = try? HostRange.parseAddress(text, allowRanges: false)
        _ = PythonLiteral.evaluate(text)
        _ = try? ShellWords.split(text, comments: true)
    }

    @Test func largeRangesAreErrorsNotHangs() {
        #expect(throws: HostRangeError.self) { try HostRange.expand("h[a:Z][a:Z][a:Z][a:Z]") }
        #expect(throws: HostRangeError.self) { try HostRange.expand("h[0:999999]") }
        #expect((try? HostRange.expand("h[0:255].[0:255]"))?.hosts.count == 65_536)
    }

    static let specials = Array("[]:=,'\"#\n@{}".utf8)

    /// Byte-level mutations of every corpus inventory must load or fail with an `InventoryError`.
    @Test func mutatedCorpusNeverCrashes() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let scratch = Scratch()
        for name in CorpusCase.names {
            let (_, dir) = try CorpusCase.load(name)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for file in files where file.hasSuffix(".ini") || file.hasSuffix(".yml") {
                let original = Array((try? Data(contentsOf: dir.appendingPathComponent(file))) ?? Data())
                guard !original.isEmpty else { continue }
                for round in 0..<25 {
                    var bytes = original
                    for _ in 0..<(1 + Int(generator.next() % 4)) {
                        let position = Int(generator.next() % UInt64(bytes.count))
                        switch generator.next() % 3 {
                        case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                        case 1: bytes.insert(Self.specials[Int(generator.next() % UInt64(Self.specials.count))], at: position)
                        default: if bytes.count > 1 { bytes.remove(at: position) }
                        }
                    }
                    let path = scratch.write("\(name)-\(round)-\(file)", String(decoding: bytes, as: UTF8.self))
                    do {
                        _ = try Inventory.load(sources: [path], sshConfig: "")
                    } catch is InventoryError {
                        // Expected for most mutations.
                    }
                }
            }
        }
    }
}

/// A small deterministic random number generator for reproducible mutations.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
