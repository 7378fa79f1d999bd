import Foundation

/// Per-host figures of a run.
public struct RunFigures: Sendable, Hashable, Codable {
    /// SUCCESS, CHANGED, FAILED or UNREACHABLE; nil for a node that only relayed.
    public var status: String?
    /// Time the task took on the host, in milliseconds.
    public var elapsedMilliseconds: Double?
    /// Why the host failed or is unreachable.
    public var message: String?
    /// Round trip of a ping from the controller at the end of the run; nil if lost or not connected.
    public var rttMilliseconds: Double?
    /// Time spent bringing the node's agent up (handshake, authentication, bootstrap), in milliseconds.
    public var connectMilliseconds: Double?
    /// `1` for the slowest host of the run, `2` and `3` for the next; nil otherwise.
    public var slowestRank: Int?
}

/// Figures of one link in a run. "Down" is parent → child, "up" is child → parent.
public struct LinkFigures: Sendable, Hashable, Codable {
    public var bytesDown: UInt64
    public var bytesUp: UInt64
    public var payloadBytesDown: UInt64
    public var payloadBytesUp: UInt64
    public var controlBytesDown: UInt64
    public var controlBytesUp: UInt64
    /// Bytes of the agent bootstrap (included in `bytesDown`).
    public var bootstrapBytes: UInt64
    /// Payload transfers the parent served the child, and how many it served from its cache.
    public var payloadsSent: UInt64
    public var cacheHits: UInt64
    /// Payload bytes the relay at the child end of this link kept off it: the sum of
    /// `payloadBytesDown` over the child's own links, less this link's `payloadBytesDown`
    /// (never below 0). Zero for a link to a node with nothing behind it.
    public var payloadBytesSaved: UInt64
    /// `1` for the busiest link of the run (bytes both ways), `2` and `3` for the next; nil otherwise.
    public var busiestRank: Int?

    /// Bytes both ways.
    public var bytesTotal: UInt64 { bytesDown + bytesUp }
}

/// What the graph keeps of the report as a whole.
public struct ReportSummary: Sendable, Hashable, Codable {
    public var module: String
    public var elapsedSeconds: Double
    /// Hosts of the report that are not in the graph (a different pattern or inventory).
    public var unmatchedHosts: [String]
}

/// The `--report` file of `rhizome exec`, as far as the topology reads it. It
/// mirrors the controller's `RunReport` (snake_case keys) without depending on it.
struct ReportFile: Decodable {
    struct Node: Decodable {
        var id: UInt32
        var name: String
        var parent: UInt32
        var handshakeMilliseconds: Double?
        var authenticationMilliseconds: Double?
        var bootstrapMilliseconds: Double?
        var rttMilliseconds: Double?
    }

    struct Link: Decodable {
        var parent: UInt32
        var child: UInt32
        var childName: String?
        var bytesDown: UInt64
        var bytesUp: UInt64
        var payloadBytesDown: UInt64?
        var payloadBytesUp: UInt64?
        var controlBytesDown: UInt64?
        var controlBytesUp: UInt64?
        var bootstrapBytes: UInt64?
        var payloadsSent: UInt64?
        var payloadsFromCache: UInt64?
    }

    struct Host: Decodable {
        var name: String
        var status: String
        var elapsedMilliseconds: Double?
        var message: String?
    }

    var version: Int?
    var module: String?
    var elapsedSeconds: Double?
    var nodes: [Node]
    var links: [Link]
    var hosts: [Host]
}

/// A run report that could not be read.
public struct TopologyReportError: Error, CustomStringConvertible {
    public var description: String
}

extension TopologyGraph {
    /// How many links and hosts are marked as the busiest and the slowest.
    public static let markedCount = 3

    /// Lays the figures of a run report (the JSON `rhizome exec --report` writes) over the graph.
    /// Nodes and links are matched by name; figures of hosts outside the graph are ignored.
    public mutating func overlay(reportJSON data: Data) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let file: ReportFile
        do {
            file = try decoder.decode(ReportFile.self, from: data)
        } catch {
            throw TopologyReportError(description: "not a run report: \(error)")
        }
        if let version = file.version, version != 1 {
            throw TopologyReportError(description: "run report version \(version) is not supported (expected 1)")
        }
        overlay(file)
    }

    mutating func overlay(_ file: ReportFile) {
        let byName = index()
        // The report's node ids are the mesh's, 0 being the controller.
        var reportIDs: [UInt32: Int] = [0: 0]
        for node in file.nodes {
            guard let id = byName[node.name], id != 0 else { continue }
            reportIDs[node.id] = id
            let connect = [node.handshakeMilliseconds, node.authenticationMilliseconds, node.bootstrapMilliseconds]
                .compactMap { $0 }
            var run = nodes[id].run ?? RunFigures()
            run.rttMilliseconds = node.rttMilliseconds
            run.connectMilliseconds = connect.isEmpty ? nil : connect.reduce(0, +)
            setRun(run, of: id)
        }
        var unmatched: [String] = []
        for host in file.hosts {
            guard let id = byName[host.name], id != 0 else {
                unmatched.append(host.name)
                continue
            }
            var run = nodes[id].run ?? RunFigures()
            run.status = host.status
            run.elapsedMilliseconds = host.elapsedMilliseconds
            run.message = host.message
            setRun(run, of: id)
        }
        for link in file.links {
            let child = reportIDs[link.child] ?? link.childName.flatMap { byName[$0] }
            guard let child, child != 0, let parent = reportIDs[link.parent], nodes[child].parent == parent else { continue }
            setTraffic(LinkFigures(
                bytesDown: link.bytesDown, bytesUp: link.bytesUp,
                payloadBytesDown: link.payloadBytesDown ?? 0, payloadBytesUp: link.payloadBytesUp ?? 0,
                controlBytesDown: link.controlBytesDown ?? 0, controlBytesUp: link.controlBytesUp ?? 0,
                bootstrapBytes: link.bootstrapBytes ?? 0, payloadsSent: link.payloadsSent ?? 0,
                cacheHits: link.payloadsFromCache ?? 0, payloadBytesSaved: 0), into: child)
        }
        computeSavings()
        markBusiestAndSlowest()
        report = ReportSummary(module: file.module ?? "", elapsedSeconds: file.elapsedSeconds ?? 0,
                               unmatchedHosts: unmatched)
    }

    /// Savings of each relay's fan-out, booked on the link into the relay.
    private mutating func computeSavings() {
        for node in nodes where node.id != 0 && !node.children.isEmpty {
            guard var incoming = edge(into: node.id)?.traffic else { continue }
            let fannedOut = node.children.reduce(UInt64(0)) { $0 + (edge(into: $1)?.traffic?.payloadBytesDown ?? 0) }
            incoming.payloadBytesSaved = fannedOut > incoming.payloadBytesDown ? fannedOut - incoming.payloadBytesDown : 0
            setTraffic(incoming, into: node.id)
        }
    }

    /// Ranks are broken by name so that the same report always marks the same links.
    private mutating func markBusiestAndSlowest() {
        let busiest = edges.compactMap { edge in edge.traffic.map { (edge.child, $0.bytesTotal) } }
            .filter { $0.1 > 0 }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : nodes[$0.0].name < nodes[$1.0].name }
            .prefix(Self.markedCount)
        for (rank, entry) in busiest.enumerated() {
            edges[entry.0 - 1].traffic?.busiestRank = rank + 1
        }
        let slowest = nodes.compactMap { node in node.run?.elapsedMilliseconds.map { (node.id, $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : nodes[$0.0].name < nodes[$1.0].name }
            .prefix(Self.markedCount)
        for (rank, entry) in slowest.enumerated() {
            nodes[entry.0].run?.slowestRank = rank + 1
        }
    }
}
