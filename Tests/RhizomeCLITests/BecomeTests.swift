import Foundation
import RhizomeController
import RhizomeInventory
import Testing

/// `ansible_become` is parsed but not applied: a host that sets it must fail
/// on its own, saying so, instead of silently running as the login user.
@Suite struct BecomeTests {
    @Test("a host with ansible_become gets a reason; without it, or with it false, none")
    func reason() throws {
        let inventory = try Inventory.load(sources: [Self.write("""
            [web]
            w1 ansible_become=true ansible_user=deploy
            w2 ansible_become=false ansible_become_user=postgres
            w3
            w4 ansible_become=yes ansible_become_user=postgres
            """)], sshConfig: "")
        let w1 = try #require(inventory.host(named: "w1"))
        #expect(UnsupportedSettings.reason(for: w1) == "ansible_become is set for w1 (from the inventory or -e): become is not supported yet, "
            + "and the task would run as the login user (deploy) instead of root; "
            + "set ansible_become=false for this host, or log in as the user the task needs")
        #expect(UnsupportedSettings.reason(for: try #require(inventory.host(named: "w2"))) == nil)
        #expect(UnsupportedSettings.reason(for: try #require(inventory.host(named: "w3"))) == nil)
        #expect(UnsupportedSettings.reason(for: try #require(inventory.host(named: "w4")))?.contains("instead of as postgres") == true)
    }

    @Test("rhizome exec fails that host alone and runs the others",
          .enabled(if: InventoryCommandTests.binary != nil && Self.agentBuilt, "rhizome and rhizome-agent not built"))
    func execFailsTheHostAlone() throws {
        let path = Self.write("""
            [local]
            plain ansible_connection=local
            elevated ansible_connection=local ansible_become=true
            """)
        let result = try InventoryCommandTests.run(["exec", "-i", path, "all", "-a", "echo ran"])
        #expect(result.status == 2)
        #expect(result.out.contains("elevated | FAILED! => {"))
        #expect(result.out.contains("ansible_become is set for elevated (from the inventory or -e): become is not supported yet"))
        #expect(result.out.contains("plain | CHANGED | rc=0 >>\nran\n"))
        #expect(!result.out.contains("elevated | CHANGED"))
    }

    /// An agent the binary can find: `$RHIZOME_AGENT`, or one built beside it.
    static let agentBuilt: Bool = {
        if let explicit = ProcessInfo.processInfo.environment["RHIZOME_AGENT"], !explicit.isEmpty { return true }
        guard let binary = InventoryCommandTests.binary else { return false }
        let beside = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("rhizome-agent").path
        return FileManager.default.isExecutableFile(atPath: beside)
    }()

    static func write(_ text: String) -> String { writeFile("hosts.ini", text) }

    /// `text` in a file called `name` in a fresh directory.
    static func writeFile(_ name: String, _ text: String) -> String {
        let dir = NSTemporaryDirectory() + "rhizome-cli-tests/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}
