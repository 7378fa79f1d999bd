import Foundation
import Testing

/// `rhizome topology`, run as a user runs it.
@Suite("rhizome topology", .enabled(if: FileManager.default.isExecutableFile(atPath: Lab.rhizomePath), "needs `make build`"))
struct TopologyCommandTests {
    @Test("the tree lab as JSON: the controller, 3 bastions and 12 hosts, one edge each")
    func json() throws {
        let result = try Lab.rhizome(["topology", "-i", Lab.topology("tree"), "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let graph = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let nodes = try #require(graph["nodes"] as? [[String: Any]])
        let edges = try #require(graph["edges"] as? [[String: Any]])
        #expect(nodes.count == 16)
        #expect(edges.count == 15)
    }

    @Test("the default tree collapses sibling ranges and never prints a password")
    func treeWithoutSecrets() throws {
        let inventory = try Lab.temporaryFile("topology-secret.yml", """
            all:
              vars:
                ansible_password: hunter2-not-to-be-seen
              hosts:
                gw: {ansible_host: 10.9.0.1}
              children:
                web:
                  vars: {via: gw, ansible_become_password: also-secret}
                  hosts:
                    web[01:20]: {}
            """)
        let result = try Lab.rhizome(["topology", "-i", inventory])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("web[01:20]"))
        #expect(!result.stdout.contains("hunter2") && !result.stdout.contains("also-secret"))
        for format in ["dot", "mermaid", "json", "svg"] {
            let other = try Lab.rhizome(["topology", "-i", inventory, "--format", format])
            #expect(other.status == 0)
            #expect(!other.stdout.contains("hunter2") && !other.stdout.contains("also-secret"), "\(format)")
        }
    }
}
