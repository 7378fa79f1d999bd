import Foundation
import Testing
@testable import RhizomeInventory

/// The lab's topology files are Ansible YAML inventories; every one must load.
@Suite struct TopologyTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("topology")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
    }

    @Test(arguments: files)
    func loads(_ name: String) throws {
        let inventory = try Inventory.load(sources: [Self.directory.appendingPathComponent(name).path], sshConfig: "")
        #expect(!inventory.hostNames.isEmpty)
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
        for host in inventory.hosts {
            // Every hop is itself a host of the topology, reached the same way.
            for (index, hop) in host.hops.enumerated() {
                let hopHost = try #require(inventory.host(named: hop.name), "hop \(hop.name) of \(host.name)")
                #expect(hopHost.hops.map(\.name) == host.hops.prefix(index).map(\.name))
            }
        }
    }

    @Test func treeTopologyShape() throws {
        let path = Self.directory.appendingPathComponent("tree.yml").path
        guard FileManager.default.fileExists(atPath: path) else { return }
        let inventory = try Inventory.load(sources: [path], sshConfig: "")
        #expect(inventory.host(named: "t01")?.hops.map(\.name) == ["bastion1"])
        #expect(inventory.host(named: "u01")?.hops.map(\.name) == ["bastion2", "bastion3"])
    }
}
