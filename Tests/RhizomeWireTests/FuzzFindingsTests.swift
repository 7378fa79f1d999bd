import Foundation
import Testing

/// Every input `make fuzz` left in `FuzzFindings/`, replayed as the fuzz
/// target runs it: checked in, each one stays fixed.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzFindings")

    static var inputs: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0 != "README.md" && !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("no input in FuzzFindings crashes or breaks a property")
    func replay() throws {
        for input in Self.inputs {
            FuzzReplay.run([UInt8](try Data(contentsOf: input)))
        }
    }
}
