import Foundation

/// The words the HTML page shows, worded in Swift by `TopologyFormat` so that the page states
/// every fact the way the other formats do; the page's script only places them. It travels
/// next to the JSON model, as its own JSON document, indexed by node id.
struct HTMLWording: Encodable {
    /// How a piece of text is coloured: `ok` (SUCCESS, UP), `warn` (CHANGED), `bad` (FAILED,
    /// UNREACHABLE), `mark` (busiest link, slowest host).
    enum Tone: String, Encodable {
        case ok, warn, bad, mark
    }

    struct Part: Encodable {
        var text: String
        var tone: Tone?
    }

    struct Row: Encodable {
        var label: String
        var value: String
        var tone: Tone?
    }

    struct Section: Encodable {
        var heading: String
        var rows: [Row]
    }

    struct Node: Encodable {
        /// The badge: the run's status, else the probe's state.
        var status: Part?
        /// Endpoint, via mode and groups.
        var facts: [String]
        /// The run's time and marker, the probe's findings, the figures of the link into the node.
        var figures: [Part]
        /// The hover text.
        var hover: String
        /// What the side panel lists when the node is picked.
        var sections: [Section]
    }

    /// One entry of a ranked list; `value` sets the length of its bar (none without).
    struct Bar: Encodable {
        var node: Int
        var label: String
        var text: String
        var value: Double?
        var rank: Int?
    }

    struct BarList: Encodable {
        var heading: String
        var bars: [Bar]
    }

    struct Summary: Encodable {
        var heading: String
        var rows: [Row]
        var lists: [BarList]
    }

    /// Entries of each ranked list in a summary.
    static let listed = 5

    var nodes: [Node]
    /// The tree as a whole: hosts, relays, levels.
    var tree: [String]
    /// The run report and the probe, when laid over.
    var summaries: [Summary] = []

    init(_ graph: TopologyGraph) {
        nodes = graph.nodes.map { Self.node($0, graph) }
        tree = Self.treeFacts(graph)
        if let report = graph.report { summaries.append(Self.reportSummary(report, graph)) }
        if let probe = graph.probe { summaries.append(Self.probeSummary(probe, graph)) }
    }

    static func tone(_ status: String?) -> Tone? {
        TopologyFormat.tone(status).flatMap(Tone.init(rawValue:))
    }

    private static func node(_ node: TopologyGraph.Node, _ graph: TopologyGraph) -> Node {
        let traffic = graph.edge(into: node.id)?.traffic
        var figures: [Part] = TopologyFormat.run(node.run).filter { $0 != node.run?.status }.map {
            Part(text: $0, tone: $0.hasPrefix("slowest") ? .mark : nil)
        }
        var probe = TopologyFormat.probe(node.probe).map { Part(text: $0, tone: nil) }
        if node.run?.status == nil, let p = node.probe, !probe.isEmpty {
            // The badge already says UP, FAILED or UNREACHABLE.
            switch p.state {
            case .up: probe.removeFirst()
            case .failed: probe[0] = Part(text: (p.cause ?? .other).rawValue, tone: .bad)
            case .unreachable: probe[0] = Part(text: p.blockedBy.map { "behind " + $0 } ?? "", tone: .bad)
            }
        }
        figures += probe.filter { !$0.text.isEmpty }
        figures += TopologyFormat.link(traffic).map { Part(text: $0, tone: $0.hasPrefix("busiest") ? .mark : nil) }
        return Node(
            status: node.status.map { Part(text: $0, tone: tone($0)) },
            facts: Array(TopologyFormat.facts(node).dropFirst()),
            figures: figures,
            hover: TopologyFormat.hover(node, link: traffic).joined(separator: "\n"),
            sections: sections(node, graph))
    }

    private static func sections(_ node: TopologyGraph.Node, _ graph: TopologyGraph) -> [Section] {
        let b = TopologyFormat.bytes
        let d = { TopologyFormat.duration(milliseconds: $0) }
        var path: [String] = []
        var cursor: Int? = node.id
        while let id = cursor {
            path.insert(graph.nodes[id].name, at: 0)
            cursor = graph.nodes[id].parent
        }
        var host = [Row(label: "role", value: node.role.rawValue)]
        if let endpoint = node.endpoint { host.append(Row(label: "endpoint", value: endpoint)) }
        if let via = node.via { host.append(Row(label: "via", value: via.rawValue)) }
        if !node.groups.isEmpty { host.append(Row(label: "groups", value: node.groups.joined(separator: ", "))) }
        host.append(Row(label: "path", value: path.joined(separator: " → ")))
        if !node.children.isEmpty {
            let behind = descendants(node.id, graph)
            host.append(Row(label: "behind it", value: "\(node.children.count) direct, \(behind) in all"))
        }
        var sections = [Section(heading: node.role == .controller ? "Controller" : "Host", rows: host)]

        if let run = node.run {
            var rows: [Row] = []
            if let status = run.status { rows.append(Row(label: "status", value: status, tone: tone(status))) }
            if let ms = run.elapsedMilliseconds { rows.append(Row(label: "time", value: d(ms))) }
            if let rank = run.slowestRank { rows.append(Row(label: "slowest", value: "#\(rank) of the run", tone: .mark)) }
            if let message = run.message { rows.append(Row(label: "message", value: message, tone: .bad)) }
            if let rtt = run.rttMilliseconds { rows.append(Row(label: "rtt", value: TopologyFormat.milliseconds(rtt))) }
            if let connect = run.connectMilliseconds { rows.append(Row(label: "connect", value: d(connect))) }
            if !rows.isEmpty { sections.append(Section(heading: "Run", rows: rows)) }
        }

        if let t = graph.edge(into: node.id)?.traffic {
            var rows = [
                Row(label: "bytes ↓ down", value: b(t.bytesDown)),
                Row(label: "bytes ↑ up", value: b(t.bytesUp)),
                Row(label: "payload ↓ / ↑", value: b(t.payloadBytesDown) + " / " + b(t.payloadBytesUp)),
                Row(label: "control ↓ / ↑", value: b(t.controlBytesDown) + " / " + b(t.controlBytesUp)),
                Row(label: "bootstrap", value: b(t.bootstrapBytes)),
                Row(label: "saved by fan-out", value: b(t.payloadBytesSaved)),
                Row(label: "cache hits", value: "\(t.cacheHits) of \(t.payloadsSent) payloads sent"),
            ]
            if let rank = t.busiestRank { rows.append(Row(label: "busiest", value: "#\(rank) of the run", tone: .mark)) }
            let parent = graph.nodes[node.parent ?? 0].name
            sections.append(Section(heading: "Link " + parent + " → " + node.name, rows: rows))
        }

        if let p = node.probe {
            let state = p.state == .up ? "UP" : p.state == .failed ? "FAILED" : "UNREACHABLE"
            var rows = [Row(label: "state", value: state, tone: tone(state))]
            for phase in TopologyFormat.phases(p) { rows.append(Row(label: phase.name, value: d(phase.milliseconds))) }
            if let setup = p.setupMilliseconds { rows.append(Row(label: "set-up", value: d(setup))) }
            if let rtt = p.rttMilliseconds { rows.append(Row(label: "rtt", value: TopologyFormat.milliseconds(rtt))) }
            if let version = p.agentVersion { rows.append(Row(label: "agent", value: version)) }
            if let platform = p.platform { rows.append(Row(label: "OS/arch", value: platform)) }
            if let release = p.release { rows.append(Row(label: "kernel", value: release)) }
            if let hostname = p.hostname { rows.append(Row(label: "host name", value: hostname)) }
            if let cause = p.cause { rows.append(Row(label: "cause", value: cause.rawValue, tone: .bad)) }
            if let message = p.message { rows.append(Row(label: "message", value: message, tone: .bad)) }
            if let hop = p.blockedBy { rows.append(Row(label: "blocked by", value: hop, tone: .bad)) }
            sections.append(Section(heading: "Probe", rows: rows))
        }
        return sections
    }

    /// Nodes behind `id`; ids are depth-first, so they are the ones after it up to the next node not below it.
    private static func descendants(_ id: Int, _ graph: TopologyGraph) -> Int {
        let depth = graph.nodes[id].depth
        var end = id + 1
        while end < graph.nodes.count, graph.nodes[end].depth > depth { end += 1 }
        return end - id - 1
    }

    /// `7 hosts, 1 relay, 2 levels`.
    private static func treeFacts(_ graph: TopologyGraph) -> [String] {
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        let hosts = graph.nodes.filter { $0.role == .target || $0.role == .relayTarget }.count
        let relays = graph.nodes.filter { $0.role == .relay || $0.role == .relayTarget }.count
        let tunnels = graph.nodes.filter { $0.via == .tunnel }.count
        var facts = [count(hosts, "selected host"), count(relays, "relay"), count(graph.nodes.map(\.depth).max() ?? 0, "level")]
        if tunnels > 0 { facts.append("\(tunnels) through TCP tunnels") }
        return facts
    }

    private static func statusCounts(_ statuses: [String]) -> [Row] {
        ["SUCCESS", "CHANGED", "FAILED", "UNREACHABLE"].compactMap { status in
            let count = statuses.filter { $0 == status }.count
            return count == 0 ? nil : Row(label: status, value: "\(count) host\(count == 1 ? "" : "s")", tone: tone(status))
        }
    }

    private static func reportSummary(_ report: ReportSummary, _ graph: TopologyGraph) -> Summary {
        let b = TopologyFormat.bytes
        let links = graph.edges.compactMap { edge in edge.traffic.map { (edge, $0) } }
        var rows = [
            Row(label: "module", value: report.module.isEmpty ? "?" : report.module),
            Row(label: "elapsed", value: TopologyFormat.duration(milliseconds: report.elapsedSeconds * 1000)),
        ]
        rows += statusCounts(graph.nodes.compactMap(\.run?.status))
        if !links.isEmpty {
            let down = links.reduce(UInt64(0)) { $0 + $1.1.bytesDown }
            let up = links.reduce(UInt64(0)) { $0 + $1.1.bytesUp }
            let saved = links.reduce(UInt64(0)) { $0 + $1.1.payloadBytesSaved }
            let hits = links.reduce(UInt64(0)) { $0 + $1.1.cacheHits }
            let sent = links.reduce(UInt64(0)) { $0 + $1.1.payloadsSent }
            rows.append(Row(label: "all links", value: "↓" + b(down) + " ↑" + b(up)))
            rows.append(Row(label: "saved by fan-out", value: b(saved)))
            rows.append(Row(label: "cache hits", value: "\(hits) of \(sent) payloads sent"))
        }
        if !report.unmatchedHosts.isEmpty {
            let shown = report.unmatchedHosts.prefix(listed).joined(separator: ", ")
            rows.append(Row(label: "not in tree", value: "\(report.unmatchedHosts.count): " + shown
                                + (report.unmatchedHosts.count > listed ? ", …" : ""), tone: .warn))
        }

        let busiest: [Bar] = ranked(links.map { ($0.0.child, Double($0.1.bytesTotal)) }, graph).map { child, bytes in
            let edge = graph.edges[child - 1]
            return Bar(node: child, label: graph.nodes[edge.parent].name + " → " + graph.nodes[child].name,
                       text: b(UInt64(bytes)), value: bytes, rank: edge.traffic?.busiestRank)
        }
        let times = graph.nodes.compactMap { node in node.run?.elapsedMilliseconds.map { (node.id, $0) } }
        let slowest: [Bar] = ranked(times, graph).map { id, ms in
            Bar(node: id, label: graph.nodes[id].name, text: TopologyFormat.duration(milliseconds: ms), value: ms,
                rank: graph.nodes[id].run?.slowestRank)
        }
        var lists: [BarList] = []
        if !busiest.isEmpty { lists.append(BarList(heading: "Busiest links (bytes both ways)", bars: busiest)) }
        if !slowest.isEmpty { lists.append(BarList(heading: "Slowest hosts", bars: slowest)) }
        let failed = graph.nodes.filter { $0.run?.status == "FAILED" || $0.run?.status == "UNREACHABLE" }
        if !failed.isEmpty {
            lists.append(BarList(heading: "Failed and unreachable", bars: failed.prefix(4 * listed).map { node in
                Bar(node: node.id, label: node.name, text: node.run?.message ?? node.run?.status ?? "")
            }))
        }
        return Summary(heading: "Run report", rows: rows, lists: lists)
    }

    /// The `listed` largest values, by node id; ties broken by name, as the markers are.
    private static func ranked(_ values: [(Int, Double)], _ graph: TopologyGraph) -> [(Int, Double)] {
        let sorted = values.sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            return graph.nodes[a.0].name < graph.nodes[b.0].name
        }
        return Array(sorted.prefix(listed))
    }

    private static func probeSummary(_ probe: ProbeSummary, _ graph: TopologyGraph) -> Summary {
        let rows = [
            Row(label: "up", value: "\(probe.up)", tone: .ok),
            Row(label: "failed", value: "\(probe.failed)", tone: probe.failed > 0 ? .bad : nil),
            Row(label: "unreachable", value: "\(probe.unreachable)", tone: probe.unreachable > 0 ? .bad : nil),
            Row(label: "elapsed", value: TopologyFormat.duration(milliseconds: probe.elapsedSeconds * 1000)),
        ]
        var lists: [BarList] = []
        let setups = graph.nodes.compactMap { node in node.probe?.setupMilliseconds.map { (node.id, $0) } }
        let slowest: [Bar] = ranked(setups, graph).map { id, ms in
            Bar(node: id, label: graph.nodes[id].name, text: TopologyFormat.duration(milliseconds: ms), value: ms)
        }
        if !slowest.isEmpty { lists.append(BarList(heading: "Slowest set-ups", bars: slowest)) }
        let failed = graph.nodes.filter { $0.probe?.state == .failed }
        if !failed.isEmpty {
            lists.append(BarList(heading: "Failed links", bars: failed.prefix(4 * listed).map { node in
                Bar(node: node.id, label: node.name, text: TopologyFormat.probe(node.probe).joined(separator: " "))
            }))
        }
        return Summary(heading: "Probe", rows: rows, lists: lists)
    }
}
