import Foundation

/// Wording shared by the renderers, so that every format states the same facts the same way.
enum TopologyFormat {
    /// Groups beyond this many are summarised as `+N`.
    static let shownGroups = 3

    /// A message that came from elsewhere (a remote host's stderr in a bootstrap failure, a
    /// report file), made safe for one line of a terminal or a label: control characters
    /// (escape sequences, newlines) become spaces, runs of spaces one, and it is cut after
    /// `messageLength` characters.
    static func message(_ text: String) -> String {
        let words = LiveText.sanitise(text).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return words.count > messageLength ? words.prefix(messageLength - 1) + "…" : words
    }

    static let messageLength = 300

    /// `web, db, +2`.
    static func groups(_ groups: [String]) -> String? {
        guard !groups.isEmpty else { return nil }
        var shown = groups.prefix(shownGroups).joined(separator: ",")
        if groups.count > shownGroups { shown += " +\(groups.count - shownGroups)" }
        return shown
    }

    /// Decimal units, one decimal place from 1 kB up: `512 B`, `1.5 kB`, `12.0 MB`.
    static func bytes(_ count: UInt64) -> String {
        if count < 1000 { return "\(count) B" }
        var value = Double(count) / 1000
        for unit in ["kB", "MB", "GB"] {
            if value < 999.95 { return String(format: "%.1f", value) + " " + unit }
            value /= 1000
        }
        return String(format: "%.1f TB", value)
    }

    /// `85 ms`, `1.25 s`.
    static func duration(milliseconds: Double) -> String {
        milliseconds < 999.5 ? String(format: "%.0f ms", milliseconds) : String(format: "%.2f s", milliseconds / 1000)
    }

    /// The node's own facts: role, endpoint, via mode and groups.
    static func facts(_ node: TopologyGraph.Node) -> [String] {
        var parts = [node.role.rawValue]
        if let endpoint = node.endpoint { parts.append(endpoint) }
        if let via = node.via { parts.append("via " + via.rawValue) }
        if let groups = groups(node.groups) { parts.append("groups: " + groups) }
        return parts
    }

    /// The run's figures for a host: status, time, and the slowest marker.
    static func run(_ run: RunFigures?) -> [String] {
        guard let run else { return [] }
        var parts: [String] = []
        if let status = run.status { parts.append(status) }
        if let ms = run.elapsedMilliseconds { parts.append(duration(milliseconds: ms)) }
        if let rank = run.slowestRank { parts.append("slowest #\(rank)") }
        return parts
    }

    /// The link's figures: bytes each way, payload, savings, cache hits and the busiest marker.
    static func link(_ traffic: LinkFigures?) -> [String] {
        guard let t = traffic else { return [] }
        var parts = ["↓" + bytes(t.bytesDown), "↑" + bytes(t.bytesUp)]
        if t.payloadBytesDown > 0 { parts.append("payload " + bytes(t.payloadBytesDown)) }
        if t.payloadBytesSaved > 0 { parts.append("saved " + bytes(t.payloadBytesSaved)) }
        if t.payloadsSent > 0 { parts.append("cache \(t.cacheHits)/\(t.payloadsSent)") }
        if let rank = t.busiestRank { parts.append("busiest #\(rank)") }
        return parts
    }

    /// What a probe found: `up 3 ms rtt, setup 290 ms, agent 0.1.0 Linux/x86_64`,
    /// `FAILED: host key mismatch`, or `UNREACHABLE behind bastion1`.
    static func probe(_ probe: ProbeFigures?) -> [String] {
        guard let p = probe else { return [] }
        switch p.state {
        case .up:
            var parts = ["up"]
            if let rtt = p.rttMilliseconds { parts.append("rtt " + milliseconds(rtt)) }
            if let setup = p.setupMilliseconds { parts.append("setup " + duration(milliseconds: setup)) }
            if let version = p.agentVersion { parts.append("agent " + version) }
            if let platform = p.platform { parts.append(platform) }
            return parts
        case .failed:
            return ["FAILED: " + (p.cause ?? .other).rawValue]
        case .unreachable:
            return ["UNREACHABLE" + (p.blockedBy.map { " behind " + $0 } ?? "")]
        }
    }

    /// How a status is coloured in every picture: `ok` (SUCCESS, UP), `warn` (CHANGED),
    /// `bad` (FAILED, UNREACHABLE).
    static func tone(_ status: String?) -> String? {
        switch status {
        case "SUCCESS", "UP": "ok"
        case "CHANGED": "warn"
        case "FAILED", "UNREACHABLE": "bad"
        default: nil
        }
    }

    /// The colour of a status's tone in the SVG and DOT pictures.
    static func toneColour(_ status: String?) -> String? {
        switch tone(status) {
        case "bad": "#c03030"
        case "warn": "#b08000"
        case "ok": "#308030"
        default: nil
        }
    }

    /// Everything known about a node and the link into it, one fact per line: the hover
    /// text of the SVG and HTML pictures.
    static func hover(_ node: TopologyGraph.Node, link traffic: LinkFigures?) -> [String] {
        guard node.role != .controller else { return ["controller"] }
        var lines = [node.name] + facts(node)
        let run = run(node.run)
        if !run.isEmpty { lines.append(run.joined(separator: " ")) }
        if let message = node.run?.message { lines.append(self.message(message)) }
        if let rtt = node.run?.rttMilliseconds { lines.append("rtt " + milliseconds(rtt)) }
        if let connect = node.run?.connectMilliseconds { lines.append("connect " + duration(milliseconds: connect)) }
        let probe = probe(node.probe)
        if !probe.isEmpty { lines.append(probe.joined(separator: " ")) }
        if let p = node.probe, p.state == .up {
            let phases = phases(p).map { "\($0.name) \(duration(milliseconds: $0.milliseconds))" }
            if !phases.isEmpty { lines.append(phases.joined(separator: ", ")) }
            if let release = p.release { lines.append("kernel " + release) }
        }
        if let message = node.probe?.message { lines.append(self.message(message)) }
        let link = link(traffic)
        if !link.isEmpty { lines.append("link: " + link.joined(separator: " ")) }
        return lines
    }

    /// The measured phases of bringing an agent up, in order.
    static func phases(_ probe: ProbeFigures) -> [(name: String, milliseconds: Double)] {
        [("handshake", probe.handshakeMilliseconds), ("auth", probe.authenticationMilliseconds),
         ("bootstrap", probe.bootstrapMilliseconds)]
            .compactMap { name, ms in ms.map { (name, $0) } }
    }

    /// Round trips are short: `0.42 ms`, `12.3 ms`, `85 ms`.
    static func milliseconds(_ value: Double) -> String {
        if value < 10 { return String(format: "%.2f ms", value) }
        if value < 100 { return String(format: "%.1f ms", value) }
        return duration(milliseconds: value)
    }
}
