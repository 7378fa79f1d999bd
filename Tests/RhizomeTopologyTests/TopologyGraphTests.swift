import Foundation
import Testing
import RhizomeInventory
@testable import RhizomeTopology

@Suite struct TopologyGraphTests {
    @Test func demoRoles() throws {
        let graph = try TopologyGraph(inventory: Fixtures.lab("demo"))
        let byName = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.name, $0) })
        #expect(graph.nodes.count == 8 && graph.edges.count == 7)
        #expect(byName["edge"]?.role == .relayTarget)
        #expect(byName["web1"]?.role == .target && byName["web1"]?.via == nil)
        let app1 = try #require(byName["app1"])
        #expect(app1.role == .target && app1.via == .relay && app1.depth == 2)
        #expect(app1.endpoint == "root@198.18.1.11:22" && app1.groups == ["app"])
        #expect(graph.nodes[app1.parent ?? 0].name == "edge")
    }

    @Test func hopsInFrontOfMatchedHostsAreRelays() throws {
        let graph = try TopologyGraph(inventory: Fixtures.lab("tree"), pattern: "u02")
        #expect(graph.nodes.map(\.name) == ["controller", "bastion2", "bastion3", "u02"])
        #expect(graph.nodes.map(\.role) == [.controller, .relay, .relay, .target])
        let both = try TopologyGraph(inventory: Fixtures.lab("tree"), pattern: "bastion3:u02")
        #expect(both.nodes.map(\.role) == [.controller, .relay, .relayTarget, .target])
    }

    @Test func savingsAndMarkers() throws {
        var graph = try TopologyGraph(inventory: Fixtures.lab("tree"))
        try graph.overlay(reportJSON: Fixtures.report(for: graph))
        let id = try #require(graph.nodes.first { $0.name == "bastion1" }?.id)
        // Eight children each received the 40 kB module; it crossed into bastion1 once.
        #expect(graph.edge(into: id)?.traffic?.payloadBytesSaved == 7 * 40_000)
        let leaf = try #require(graph.nodes.first { $0.name == "t01" }?.id)
        #expect(graph.edge(into: leaf)?.traffic?.payloadBytesSaved == 0)
        #expect(graph.edges.compactMap(\.traffic?.busiestRank).sorted() == [1, 2, 3])
        #expect(graph.nodes.compactMap(\.run?.slowestRank).sorted() == [1, 2, 3])
        let slowest = graph.nodes.filter { $0.run?.slowestRank != nil }.compactMap(\.run?.elapsedMilliseconds)
        let others = graph.nodes.filter { $0.run?.slowestRank == nil }.compactMap(\.run?.elapsedMilliseconds)
        #expect(slowest.min()! >= others.max()!)
        // A pure relay ran no task: it has link figures but no status.
        var branch = try TopologyGraph(inventory: Fixtures.lab("tree"), pattern: "branch1")
        try branch.overlay(reportJSON: Fixtures.report(for: branch))
        let bastion1 = try #require(branch.nodes.first { $0.name == "bastion1" })
        #expect(bastion1.role == .relay && bastion1.status == nil && bastion1.run?.rttMilliseconds != nil)
    }

    @Test func reportHostsOutsideTheGraphAreListed() throws {
        var small = try TopologyGraph(inventory: Fixtures.lab("tree"), pattern: "branch1")
        let full = try TopologyGraph(inventory: Fixtures.lab("tree"))
        try small.overlay(reportJSON: Fixtures.report(for: full))
        #expect(small.report?.unmatchedHosts.contains("u01") == true)
        #expect(small.nodes.allSatisfy { $0.role == .controller || $0.run != nil })
    }

    @Test(arguments: [#"{"version": 2, "nodes": [], "links": [], "hosts": []}"#, "[]", "not json"])
    func unreadableReports(_ text: String) throws {
        var graph = try TopologyGraph(inventory: Fixtures.lab("demo"))
        #expect(throws: TopologyReportError.self) { try graph.overlay(reportJSON: Data(text.utf8)) }
    }

    @Test func jsonIsTheModel() throws {
        var graph = try TopologyGraph(inventory: Fixtures.lab("demo"))
        try graph.overlay(reportJSON: Fixtures.report(for: graph))
        let object = try #require(JSONSerialization.jsonObject(with: Data(graph.renderJSON().utf8)) as? [String: Any])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        let edges = try #require(object["edges"] as? [[String: Any]])
        #expect(object["version"] as? Int == 1)
        #expect(nodes.count == graph.nodes.count && edges.count == graph.nodes.count - 1)
        let app1 = try #require(nodes.first { $0["name"] as? String == "app1" })
        #expect(app1["role"] as? String == "target" && app1["via"] as? String == "relay")
        let run = try #require(app1["run"] as? [String: Any])
        #expect(run["status"] is String && run["elapsed_milliseconds"] is Double)
        let traffic = try #require(edges.first?["traffic"] as? [String: Any])
        #expect(traffic["payload_bytes_saved"] != nil && traffic["cache_hits"] != nil)
    }
}

@Suite struct RangeTests {
    @Test(arguments: [
        (["web01", "web02", "web03"], ["web[01:03]"]),
        (["web9", "web10", "web11"], ["web[9:11]"]),
        (["web09", "web10"], ["web[09:10]"]),
        (["web1", "web3"], ["web1", "web3"]),
        (["web01.dc1", "web02.dc1", "db1"], ["web[01:02].dc1", "db1"]),
        (["r1.dc1", "r1.dc2", "r1.dc3"], ["r1.dc[1:3]"]),
        (["a1b1", "a2b2"], ["a1b1", "a2b2"]),
        (["web01", "web02", "web02", "web03"], ["web[01:02]", "web[02:03]"]),
        (["x", "y"], ["x", "y"]),
        (["h99999999999999999999", "h100000000000000000000"], ["h99999999999999999999", "h100000000000000000000"]),
    ])
    func collapse(_ names: [String], _ labels: [String]) {
        #expect(NameRange.runs(names).map(\.label) == labels)
    }

    @Test func collapsedAndExpanded() throws {
        let graph = try TopologyGraph(inventory: Fixtures.synthetic())
        let collapsed = graph.renderTree()
        #expect(collapsed.contains("web[01:60].s1  60 × target  deploy@10.1.0.[1:60]:22  via relay  groups: site1,web_s1"))
        #expect(collapsed.contains("db[01:40].s5  40 × target  deploy@10.5.1.[1:40]:22  via tunnel"))
        // web30.s3 has another user: it stands alone between two ranges.
        #expect(collapsed.contains("web[01:29].s3  29 ×") && collapsed.contains("web[31:60].s3  30 ×"))
        #expect(collapsed.contains("web30.s3  target  admin@10.3.0.30:22"))
        #expect(collapsed.split(separator: "\n").count < 30)
        let expanded = graph.renderTree(TreeOptions(expand: true))
        #expect(expanded.split(separator: "\n").count == graph.nodes.count)
        for node in graph.nodes { #expect(expanded.contains(node.name)) }
    }

    @Test func markedAndFailedHostsStandOut() throws {
        var graph = try TopologyGraph(inventory: Fixtures.synthetic())
        try graph.overlay(reportJSON: Fixtures.report(for: graph) { $0.name == "b1" || $0.name.hasSuffix(".s1") })
        let tree = graph.renderTree()
        for node in graph.nodes where node.run?.slowestRank != nil || node.status == "FAILED" {
            #expect(tree.contains("── \(node.name)  "), "\(node.name) is on a line of its own")
        }
        #expect(tree.contains("slowest #1") && tree.contains("busiest #1"))
        #expect(!graph.renderTree(TreeOptions(colour: false)).contains("\u{1B}["))
        #expect(graph.renderTree(TreeOptions(colour: true)).contains("\u{1B}["))
    }
}

@Suite struct SecretTests {
    @Test func secretsAppearNowhere() throws {
        let directory = NSTemporaryDirectory() + "rhizome-topology-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/hosts.yml"
        try Data("""
            all:
              vars:
                ansible_password: hunter2
              hosts:
                jump: {ansible_become_password: swordfish, ansible_ssh_pass: correcthorse}
                inner: {via: jump, ansible_become: true, ansible_become_pass: tr0ub4dor}
            """.utf8).write(to: URL(fileURLWithPath: path))
        let inventory = try Inventory.load(sources: [path], sshConfig: "")
        #expect(inventory.host(named: "inner")?.connection.password == "hunter2")
        var graph = try TopologyGraph(inventory: inventory)
        var outputs = [graph.renderTree(), graph.renderDOT(), graph.renderMermaid(), graph.renderJSON()]
        try graph.overlay(reportJSON: Fixtures.report(for: graph))
        outputs += [graph.renderTree(TreeOptions(colour: true, expand: true)), graph.renderDOT(), graph.renderMermaid(),
                    graph.renderJSON()]
        // The model itself holds none of them.
        var dumped = ""
        dump(graph, to: &dumped)
        outputs.append(dumped)
        for output in outputs {
            for secret in ["hunter2", "swordfish", "correcthorse", "tr0ub4dor"] {
                #expect(!output.contains(secret))
            }
        }
    }
}
