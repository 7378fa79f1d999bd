import Foundation
import Testing

extension LabTests {
/// `rhizome_target_cache` in the inventory does what `--target-cache` does,
/// host by host; the command line wins over it.
@Suite("target cache from the inventory", .serialized)
struct TargetCacheInventoryTests {
    let inventoryCache = "/var/tmp/rz-inventory-cache"
    let flagCache = "/var/tmp/rz-flag-cache"
    let hosts = ["bastion1", "t01", "bastion2"]

    init() throws {
        try Lab.ensureUp("tree")
        clean()
    }

    func clean() {
        for host in hosts { _ = try? Lab.exec("tree", host, ["rm", "-rf", inventoryCache, flagCache]) }
    }

    func agents(on host: String, in directory: String) throws -> [String] {
        try Lab.exec("tree", host, ["sh", "-c", "ls \(directory) 2>/dev/null | grep '^agent-' || true"]).stdout
            .split(separator: "\n").map(String.init)
    }

    @Test("hosts keep their agent where their variable says; behind a relay the relay's setting is used and said; the flag wins")
    func inventoryVariable() throws {
        defer { clean() }
        // bastion1 and t01 behind it share the group setting; bastion2 sets none.
        let text = try String(contentsOfFile: Lab.topology("tree"), encoding: .utf8)
            .replacingOccurrences(of: "    branch1:\n      vars:\n        via: bastion1\n",
                                  with: "    branch1:\n      vars:\n        via: bastion1\n        rhizome_target_cache: \(inventoryCache)\n")
            .replacingOccurrences(of: "          ansible_host: 198.18.2.2\n",
                                  with: "          ansible_host: 198.18.2.2\n          rhizome_target_cache: \(inventoryCache)\n")
            .replacingOccurrences(of: "        t02: {ansible_host: 198.18.2.12}\n",
                                  with: "        t02: {ansible_host: 198.18.2.12, rhizome_target_cache: /var/tmp/rz-elsewhere}\n")
        let inventory = try Lab.temporaryFile("cache-inventory.yml", text)

        let first = try Lab.rhizome(["exec", "-i", inventory, "bastion1:t01:t02:bastion2", "-a", "true"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try agents(on: "bastion1", in: inventoryCache).count == 1)
        #expect(try agents(on: "t01", in: inventoryCache).count == 1)
        #expect(try agents(on: "bastion2", in: inventoryCache).isEmpty)
        #expect(first.stderr.contains("[WARNING]: t02: rhizome_target_cache settings are not used: the relay bastion1 starts its agent "
                                          + "with its own target cache, which is \(inventoryCache) (1073741824 bytes)"))

        // The command line wins over the inventory.
        let flagged = try Lab.rhizome(["exec", "-i", inventory, "bastion1:t01:bastion2", "-a", "true", "--target-cache", flagCache])
        #expect(flagged.status == 0, "\(flagged.stdout)\(flagged.stderr)")
        for host in hosts { #expect(try agents(on: host, in: flagCache).count == 1, "\(host)") }
    }
}
}
