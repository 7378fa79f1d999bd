import Foundation
import RhizomeController
import RhizomeInventory
import Testing
@testable import RhizomeCLI

/// `rhizome_target_cache` and `rhizome_target_cache_size` against
/// `--target-cache` and `--target-cache-size`: the command line wins.
@Suite struct TargetCacheSettingsTests {
    static let inventory = """
        all:
          vars:
            rhizome_target_cache: /var/cache/rz
          hosts:
            bastion: {ansible_host: 10.0.0.1}
            lone: {rhizome_target_cache: null}
            sized: {rhizome_target_cache_size: 5000}
          children:
            inner:
              vars:
                via: bastion
              hosts:
                same: {}
                other: {rhizome_target_cache: /srv/rz}
                tunnelled: {rhizome_target_cache: /srv/rz, rhizome_via_mode: tunnel}
        """

    @Test("the inventory's setting per host or group, a default limit, and the flags over both")
    func precedence() throws {
        let path = BecomeTests.writeFile("hosts.yml", Self.inventory)
        let inventory = try Inventory.load(sources: [path], sshConfig: "")
        func spec(_ name: String) throws -> ConnectionSpec { try #require(inventory.host(named: name)).connection }

        let plain = try ExecCommand.parse(["-i", path, "all", "-a", "true"]).connection.controllerOptions()
        #expect(plain.targetCache(for: try spec("bastion"))! == ("/var/cache/rz", 1 << 30))
        #expect(plain.targetCache(for: try spec("lone")) == nil)
        #expect(plain.targetCache(for: try spec("sized"))! == ("/var/cache/rz", 5000))
        #expect(plain.targetCache(for: try spec("other"))! == ("/srv/rz", 1 << 30))

        let flagged = try ExecCommand.parse(["-i", path, "all", "-a", "true", "--target-cache", "/tmp/c", "--target-cache-size", "7"])
            .connection.controllerOptions()
        for name in ["bastion", "lone", "sized", "other"] {
            #expect(flagged.targetCache(for: try spec(name))! == ("/tmp/c", 7), "\(name)")
        }
        let sizeOnly = try ExecCommand.parse(["-i", path, "all", "-a", "true", "--target-cache-size", "7"]).connection.controllerOptions()
        #expect(sizeOnly.targetCache(for: try spec("lone")) == nil)
        #expect(sizeOnly.targetCache(for: try spec("sized"))! == ("/var/cache/rz", 7))
    }

    @Test("a host behind a relay whose own setting differs from the relay's is warned about; a tunnelled one is not")
    func relayWarnings() throws {
        let path = BecomeTests.writeFile("hosts.yml", Self.inventory)
        let inventory = try Inventory.load(sources: [path], sshConfig: "")
        let hosts = try inventory.select("all")
        let plain = try ExecCommand.parse(["-i", path, "all", "-a", "true"]).connection.controllerOptions()
        #expect(plain.targetCacheWarnings(for: hosts) == [
            "other: rhizome_target_cache settings are not used: the relay bastion starts its agent with its own target cache, "
                + "which is /var/cache/rz (1073741824 bytes); set the same on bastion (a group variable does it for both), or use --target-cache",
        ])
        let flagged = try ExecCommand.parse(["-i", path, "all", "-a", "true", "--target-cache", "/tmp/c"]).connection.controllerOptions()
        #expect(flagged.targetCacheWarnings(for: hosts).isEmpty)
    }

    @Test("bad values are inventory errors with the place they were written", arguments: [
        ("rhizome_target_cache: relative/dir", "rhizome_target_cache of host 'h' must be an absolute path on the host"),
        ("rhizome_target_cache_size: lots", "rhizome_target_cache_size of host 'h' must be a number of bytes"),
        ("rhizome_target_cache_size: -1", "rhizome_target_cache_size of host 'h' must be a number of bytes"),
    ])
    func badValues(line: String, message: String) {
        let path = BecomeTests.writeFile("hosts.yml", "all:\n  hosts:\n    h:\n      \(line)\n")
        #expect {
            _ = try Inventory.load(sources: [path], sshConfig: "")
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("hosts.yml:4")
        }
    }

    @Test("--tree shows the setting")
    func tree() throws {
        let inventory = try Inventory.load(sources: [BecomeTests.writeFile("hosts.yml", Self.inventory)], sshConfig: "")
        let text = inventory.hopTree(for: try inventory.select("sized")).render()
        #expect(text.contains("target_cache=/var/cache/rz target_cache_size=5000"))
    }
}
