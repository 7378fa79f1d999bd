import Foundation
import RhizomeMesh
import RhizomeWire

/// Per-link and per-host figures of a run, written by `--report`. Holds no
/// variables and no secrets: names, addresses of nothing, counters and times.
public struct RunReport: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var id: UInt32
        public var name: String
        /// 0 for the controller.
        public var parent: UInt32
        /// "relay", "target" or "relay+target".
        public var role: String
        public var handshakeMilliseconds: Double
        public var authenticationMilliseconds: Double
        public var bootstrapMilliseconds: Double
        /// Round trip of a ping from the controller at the end of the run; nil if lost.
        public var rttMilliseconds: Double?
        public var agentVersion: String
        public var system: String
        public var machine: String
    }

    public struct Link: Codable, Sendable {
        public var parent: UInt32
        public var child: UInt32
        public var childName: String
        /// Bytes parent → child and child → parent, framed traffic plus the bootstrap.
        public var bytesDown: UInt64
        public var bytesUp: UInt64
        /// Frames of payload chunks (files, modules).
        public var payloadBytesDown: UInt64
        public var payloadBytesUp: UInt64
        /// Everything else that was framed (tasks, results, output, routing).
        public var controlBytesDown: UInt64
        public var controlBytesUp: UInt64
        /// The bootstrap stage's answer and the gzip-compressed agent image.
        public var bootstrapBytes: UInt64
        public var framesDown: UInt64
        public var framesUp: UInt64
        /// Payload transfers the parent served the child, and how many came from its cache.
        public var payloadsSent: UInt64
        public var payloadsFromCache: UInt64
    }

    public struct Host: Codable, Sendable {
        public var name: String
        /// SUCCESS, CHANGED, FAILED or UNREACHABLE.
        public var status: String
        public var rc: Int32?
        public var elapsedMilliseconds: Double
        /// Why the host failed or is unreachable.
        public var message: String?
    }

    public var version = 1
    public var module: String
    public var elapsedSeconds: Double
    public var nodes: [Node]
    public var links: [Link]
    public var hosts: [Host]

    /// JSON with sorted keys and snake_case names.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }
}

extension Controller {
    /// Gathers the report: pings every node, asks every relay for its links.
    public func report(module: String, outcomes: [TaskOutcome], elapsed: Double) async -> RunReport {
        let nodes = self.nodes
        let targets = Set(outcomes.map(\.host))
        let parents = Set(nodes.map(\.parent))
        var reportNodes: [RunReport.Node] = []
        for (handle, parent) in nodes {
            let rtt = await ping(handle)
            let isRelay = parents.contains(handle.node)
            let isTarget = targets.contains(handle.host)
            reportNodes.append(RunReport.Node(
                id: handle.node.rawValue, name: handle.host, parent: parent.rawValue,
                role: isRelay && isTarget ? "relay+target" : (isRelay ? "relay" : "target"),
                handshakeMilliseconds: handle.timings.handshake * 1000,
                authenticationMilliseconds: handle.timings.authentication * 1000,
                bootstrapMilliseconds: handle.timings.bootstrap * 1000,
                rttMilliseconds: rtt.map { $0 * 1000 }, agentVersion: handle.hello.agentVersion,
                system: handle.hello.system, machine: handle.hello.machine))
        }
        let names = Dictionary(nodes.map { ($0.handle.node, $0.handle.host) }, uniquingKeysWith: { first, _ in first })
        var links: [RunReport.Link] = []
        let firstHops = await firstHopStatistics()
        let counters = await firstHopPayloadCounters()
        // The controller's own links, in the shape relays report theirs.
        let reports = firstHops.map { node, stats in
            (parent: NodeID.controller, link: LinkReport(
                child: node, bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived,
                payloadBytesSent: stats.payloadBytesSent, payloadBytesReceived: stats.payloadBytesReceived,
                framesSent: stats.framesSent, framesReceived: stats.framesReceived,
                bootstrapBytesSent: stats.bootstrapBytesSent, payloadsServed: counters[node]?.transfers ?? 0,
                payloadsFromCache: counters[node]?.fromCache ?? 0))
        }
        var relayed: [(parent: NodeID, link: LinkReport)] = []
        for relay in parents where relay != .controller {
            relayed += await relayStatistics(relay).map { (relay, $0) }
        }
        for (parent, link) in reports + relayed {
            links.append(RunReport.Link(
                parent: parent.rawValue, child: link.child.rawValue, childName: names[link.child] ?? "\(link.child)",
                bytesDown: link.bytesSent + link.bootstrapBytesSent, bytesUp: link.bytesReceived,
                payloadBytesDown: link.payloadBytesSent, payloadBytesUp: link.payloadBytesReceived,
                controlBytesDown: link.bytesSent - link.payloadBytesSent,
                controlBytesUp: link.bytesReceived - link.payloadBytesReceived,
                bootstrapBytes: link.bootstrapBytesSent, framesDown: link.framesSent, framesUp: link.framesReceived,
                payloadsSent: link.payloadsServed, payloadsFromCache: link.payloadsFromCache))
        }
        links.sort { ($0.parent, $0.child) < ($1.parent, $1.child) }
        let hosts = outcomes.map { outcome in
            RunReport.Host(name: outcome.host, status: outcome.status.rawValue, rc: outcome.result?.rc,
                           elapsedMilliseconds: outcome.elapsed * 1000,
                           message: outcome.status == .failed || outcome.status == .unreachable ? outcome.message : nil)
        }
        return RunReport(module: module, elapsedSeconds: elapsed, nodes: reportNodes.sorted { $0.id < $1.id }, links: links,
                         hosts: hosts.sorted { $0.name < $1.name })
    }

    /// Payload transfer counters of the links the controller holds.
    func firstHopPayloadCounters() async -> [NodeID: PayloadService.Counters] {
        await onLoop { $0.firstHopPayloadCounters() }
    }
}
