import Foundation
import RhizomeInventory
@testable import RhizomeTopology

/// Inventories and run reports the tests draw.
enum Fixtures {
    static let topologyDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("topology")

    /// A lab topology from `topology/`.
    static func lab(_ name: String) throws -> Inventory {
        try Inventory.load(sources: [topologyDirectory.appendingPathComponent(name + ".yml").path], sshConfig: "")
    }

    /// 5 bastions with 100 hosts each (60 web, 40 db). Site 3 has one host with another
    /// user, which breaks its range; site 5 reaches its hosts through TCP tunnels.
    static func synthetic() throws -> Inventory {
        var text = "all:\n  vars:\n    ansible_user: deploy\n  children:\n    bastions:\n      hosts:\n"
        for site in 1...5 {
            text += "        b\(site): {ansible_host: 10.0.0.\(site)}\n"
        }
        for site in 1...5 {
            text += "    site\(site):\n      vars:\n        via: b\(site)\n"
            if site == 5 { text += "        rhizome_via_mode: tunnel\n" }
            text += "      children:\n"
            for (role, count, offset) in [("web", 60, 0), ("db", 40, 100)] {
                text += "        \(role)_s\(site):\n          hosts:\n"
                for n in 1...count {
                    let name = role + String(repeating: "0", count: n < 10 ? 1 : 0) + "\(n).s\(site)"
                    let user = site == 3 && role == "web" && n == 30 ? ", ansible_user: admin" : ""
                    text += "            \(name): {ansible_host: 10.\(site).\(offset / 100).\(n)\(user)}\n"
                }
            }
        }
        let directory = NSTemporaryDirectory() + "rhizome-topology-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/synthetic.yml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try Inventory.load(sources: [path], sshConfig: "")
    }

    static func inventory(_ name: String) throws -> Inventory {
        name == "synthetic" ? try synthetic() : try lab(name)
    }

    /// A report in the shape `rhizome exec --report` writes, with made-up but consistent
    /// figures: a 40 kB module crosses every link once, each agent's bootstrap costs 300 kB,
    /// and relays serve every child but the first from their cache. `covers` picks the nodes
    /// that took part (the synthetic inventory's report is small: site 1 only).
    static func report(for graph: TopologyGraph, covers: (TopologyGraph.Node) -> Bool = { _ in true }) throws -> Data {
        let payload: UInt64 = 40_000
        let taking = graph.nodes.filter { $0.id != 0 && covers($0) }
        var nodes: [SyntheticReport.Node] = []
        var links: [SyntheticReport.Link] = []
        var hosts: [SyntheticReport.Host] = []
        for node in taking {
            let id = UInt32(node.id)
            nodes.append(.init(id: id, name: node.name, parent: UInt32(node.parent ?? 0), role: node.role.rawValue,
                               handshakeMilliseconds: 3, authenticationMilliseconds: 2,
                               bootstrapMilliseconds: Double(40 + node.id % 7),
                               rttMilliseconds: node.id % 11 == 0 ? nil : Double(node.depth) * 0.5,
                               agentVersion: "0.1.0", system: "Linux", machine: "x86_64"))
            let siblings = graph.nodes[node.parent ?? 0].children
            let control = UInt64(600 + node.id * 7)
            let fromCache: UInt64 = node.parent != 0 && siblings.first != node.id ? 1 : 0
            links.append(.init(parent: UInt32(node.parent ?? 0), child: id, childName: node.name,
                               bytesDown: control + payload + 300_000, bytesUp: UInt64(900 + node.id * 13),
                               payloadBytesDown: payload, payloadBytesUp: 0, controlBytesDown: control,
                               controlBytesUp: UInt64(900 + node.id * 13), bootstrapBytes: 300_000,
                               framesDown: 12, framesUp: 9, payloadsSent: 1, payloadsFromCache: fromCache))
            guard node.role != .relay else { continue }
            let status = node.id % 13 == 0 ? "FAILED" : (node.id % 7 == 0 ? "CHANGED" : "SUCCESS")
            hosts.append(.init(name: node.name, status: status, rc: status == "FAILED" ? 2 : 0,
                               elapsedMilliseconds: Double(80 + (node.id * 37) % 900),
                               message: status == "FAILED" ? "non-zero return code" : nil))
        }
        let report = SyntheticReport(module: "command", elapsedSeconds: 2.5, nodes: nodes, links: links,
                                     hosts: hosts.sorted { $0.name < $1.name })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(report)
    }
}

/// Every field of the controller's RunReport, so that decoding sees the real shape.
struct SyntheticReport: Encodable {
    struct Node: Encodable {
        var id: UInt32
        var name: String
        var parent: UInt32
        var role: String
        var handshakeMilliseconds: Double
        var authenticationMilliseconds: Double
        var bootstrapMilliseconds: Double
        var rttMilliseconds: Double?
        var agentVersion: String
        var system: String
        var machine: String
    }

    struct Link: Encodable {
        var parent: UInt32
        var child: UInt32
        var childName: String
        var bytesDown: UInt64
        var bytesUp: UInt64
        var payloadBytesDown: UInt64
        var payloadBytesUp: UInt64
        var controlBytesDown: UInt64
        var controlBytesUp: UInt64
        var bootstrapBytes: UInt64
        var framesDown: UInt64
        var framesUp: UInt64
        var payloadsSent: UInt64
        var payloadsFromCache: UInt64
    }

    struct Host: Encodable {
        var name: String
        var status: String
        var rc: Int32?
        var elapsedMilliseconds: Double
        var message: String?
    }

    var version = 1
    var module: String
    var elapsedSeconds: Double
    var nodes: [Node]
    var links: [Link]
    var hosts: [Host]
}
