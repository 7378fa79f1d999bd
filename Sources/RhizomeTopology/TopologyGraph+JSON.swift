import Foundation

/// The graph model as JSON (see docs/topology.md): snake_case keys, sorted, absent values left out.
extension TopologyGraph {
    /// Version of the JSON document; bumped when a field changes meaning or goes away.
    public static let jsonVersion = 1

    struct Document: Encodable {
        struct NodeEntry: Encodable {
            var id: Int
            var name: String
            var role: String
            var parent: Int?
            var children: [Int]
            var depth: Int
            var user: String?
            var address: String?
            var port: Int?
            var endpoint: String?
            var local: Bool
            var via: String?
            var groups: [String]
            var run: RunFigures?
            var probe: ProbeFigures?
        }

        struct EdgeEntry: Encodable {
            var parent: Int
            var child: Int
            var via: String?
            var traffic: LinkFigures?
        }

        var version: Int
        var nodes: [NodeEntry]
        var edges: [EdgeEntry]
        var report: ReportSummary?
        var probe: ProbeSummary?
    }

    /// The document `--format json` prints; `pretty: false` gives the same on one line
    /// (what the HTML page embeds: a quarter of the size for a big tree).
    public func renderJSON(pretty: Bool = true) -> String {
        let document = Document(
            version: Self.jsonVersion,
            nodes: nodes.map { node in
                Document.NodeEntry(
                    id: node.id, name: node.name, role: node.role.rawValue, parent: node.parent, children: node.children,
                    depth: node.depth, user: node.user, address: node.address, port: node.port, endpoint: node.endpoint,
                    local: node.isLocal, via: node.via?.rawValue, groups: node.groups, run: node.run, probe: node.probe)
            },
            edges: edges.map { edge in
                Document.EdgeEntry(parent: edge.parent, child: edge.child, via: nodes[edge.child].via?.rawValue,
                                   traffic: edge.traffic)
            },
            report: report, probe: probe)
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Encoding plain structs of strings and numbers cannot fail.
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
