import ArgumentParser
import Foundation
import RhizomeInventory
import Testing
@testable import RhizomeCLI

/// `rhizome inventory`: argument parsing, and the real binary's output.
@Suite struct InventoryCommandTests {
    static let inventoryText = """
        [bastions]
        b1 ansible_host=10.0.0.1 ansible_user=jump

        [web]
        w[1:2] via=b1 ansible_password=hunter2

        [web:vars]
        ansible_ssh_common_args='-A'
        """

    static func writeInventory() -> String {
        let dir = NSTemporaryDirectory() + "rhizome-cli-tests/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/hosts.ini"
        FileManager.default.createFile(atPath: path, contents: Data(inventoryText.utf8))
        return path
    }

    @Test func parsesOptions() throws {
        let command = try RhizomeCommand.parseAsRoot([
            "inventory", "-i", "a.ini", "--inventory", "b.yml", "-e", "x=1", "--extra-vars", "@vars.yml",
            "--ssh-config", "cfg", "--limit", "web", "--tree", "all:!db",
        ])
        let inventory = try #require(command as? InventoryCommand)
        #expect(inventory.options.inventory == ["a.ini", "b.yml"])
        #expect(inventory.options.extraVars == ["x=1", "@vars.yml"])
        #expect(inventory.options.sshConfig == "cfg")
        #expect(inventory.options.limit == "web")
        #expect(inventory.tree && inventory.pattern == "all:!db")
        let host = try #require(try RhizomeCommand.parseAsRoot(["inventory", "-l", "x", "--host", "w1"]) as? InventoryCommand)
        #expect(host.host == "w1" && host.options.limit == "x")
    }

    @Test(arguments: [
        ["inventory"],
        ["inventory", "--list", "--graph"],
        ["inventory", "--list", "web"],
        ["inventory", "--host", "a", "--tree"],
    ])
    func rejectsBadCombinations(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try RhizomeCommand.parseAsRoot(arguments) }
    }

    @Test func optionsLoadTheInventory() throws {
        let path = Self.writeInventory()
        let options = try InventoryOptions.parse(["-i", path, "-e", "extra=1", "--ssh-config", "none"])
        let inventory = try options.load()
        #expect(inventory.hostNames == ["b1", "w1", "w2"])
        #expect(inventory.host(named: "w1")?.vars["extra"] == .string("1"))
    }

    // MARK: End to end

    /// The `rhizome` binary built beside the test bundle, if there is one.
    static let binary: String? = {
        let dir = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [dir.appendingPathComponent("rhizome"), Bundle.main.bundleURL.appendingPathComponent("rhizome"),
                          dir.deletingLastPathComponent().appendingPathComponent("rhizome")]
        let found = candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
        if found == nil {
            print("notice: the rhizome binary is not built beside the tests; end-to-end inventory tests are skipped")
        }
        return found
    }()

    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary ?? "/nonexistent")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test(.enabled(if: binary != nil, "rhizome binary not built"))
    func listHostGraphAndTree() throws {
        let path = Self.writeInventory()
        let library = try Inventory.load(sources: [path], sshConfig: "")
        let base = ["inventory", "-i", path, "--ssh-config", "none"]

        let list = try Self.run(base + ["--list"])
        #expect(list.status == 0)
        #expect(list.out == (try library.listJSON(maskingSecrets: true)) + "\n")
        #expect(list.err.contains("[WARNING]: ") && list.err.contains("-A is not supported"))

        let host = try Self.run(base + ["--host", "w2"])
        #expect(host.status == 0)
        #expect(host.out == (try library.hostJSON("w2", maskingSecrets: true)) + "\n")

        let graph = try Self.run(base + ["--graph"])
        #expect(graph.out == """
            @all:
              |--@ungrouped:
              |--@bastions:
              |  |--b1
              |--@web:
              |  |--w1
              |  |--w2

            """)

        let tree = try Self.run(base + ["--tree", "web", "--limit", "w2"])
        #expect(tree.status == 0)
        #expect(tree.out.hasPrefix("controller\n└── b1  jump@10.0.0.1:22 hop\n    └── w2  w2:22 relay password=(set)"))
        #expect(!tree.out.contains("hunter2"))
    }

    @Test("--list and --host hide secrets unless --show-secrets is given", .enabled(if: binary != nil, "rhizome binary not built"))
    func secretsAreMasked() throws {
        let path = Self.writeInventory()
        let base = ["inventory", "-i", path, "--ssh-config", "none"]
        for view in [["--list"], ["--host", "w1"]] {
            let masked = try Self.run(base + view)
            #expect(masked.status == 0)
            #expect(!masked.out.contains("hunter2"), "\(view) prints the password")
            #expect(masked.out.contains(#""ansible_password": "********""#))
            let shown = try Self.run(base + view + ["--show-secrets"])
            #expect(shown.status == 0)
            #expect(shown.out.contains(#""ansible_password": "hunter2""#))
        }
        let misplaced = try Self.run(base + ["--graph", "--show-secrets"])
        #expect(misplaced.status == 64)
        #expect(misplaced.err.contains("--show-secrets applies to --list and --host"))
    }

    @Test(.enabled(if: binary != nil, "rhizome binary not built"))
    func errorsExitNonZero() throws {
        let missing = try Self.run(["inventory", "-i", "/nonexistent/hosts.ini", "--list"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("/nonexistent/hosts.ini") && missing.err.contains("not found"))
        let usage = try Self.run(["inventory", "--list", "--graph"])
        #expect(usage.status == 64)
        let path = Self.writeInventory()
        let badHost = try Self.run(["inventory", "-i", path, "--ssh-config", "none", "--host", "w*"])
        #expect(badHost.status != 0)
        #expect(badHost.err.contains("exactly one host"))
    }
}
