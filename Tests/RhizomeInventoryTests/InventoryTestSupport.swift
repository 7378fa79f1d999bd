import Foundation
@testable import RhizomeInventory

/// Writes inventories into a fresh temporary directory for one test.
struct Scratch {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "rhizome-inventory-tests/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func load(_ name: String, _ text: String, extraVars: [String] = [], sshConfig: String? = nil) throws -> Inventory {
        let path = write(name, text)
        return try Inventory.load(sources: [path], extraVars: extraVars, sshConfig: sshConfig ?? "")
    }
}
