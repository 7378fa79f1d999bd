import RhizomeInventory

/// How to draw the tree.
public struct TreeOptions: Sendable {
    /// ANSI colours (roles, statuses, markers).
    public var colour: Bool
    /// One line per host, even where siblings could be collapsed into a range.
    public var expand: Bool

    public init(colour: Bool = false, expand: Bool = false) {
        self.colour = colour
        self.expand = expand
    }
}

extension TopologyGraph {
    /// A Unicode box-drawing tree, one line per node. Siblings with nothing behind them
    /// that share every shown fact but a number in their name collapse into one line
    /// (`web[01:40]  40 × target …`) unless `expand` is set. Marked links and hosts never collapse.
    public func renderTree(_ options: TreeOptions = TreeOptions()) -> String {
        let paint = Paint(enabled: options.colour)
        var lines = [paint.bold("controller")]
        TreeDrawing.draw(lineItems(root.children, expand: options.expand), into: &lines, line: { line($0, paint) },
                         children: { $0.count == 1 ? lineItems(nodes[$0.ids[0]].children, expand: options.expand) : [] })
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line of the tree: a node, or a range of leaf siblings.
    private struct LineItem {
        var ids: [Int]
        var label: String
        var count: Int { ids.count }
    }

    /// What siblings must share to collapse: everything a line shows except the name and address.
    private struct CollapseKey: Hashable {
        var role: Role
        var user: String?
        var port: Int?
        var isLocal: Bool
        var via: ConnectionSpec.ViaMode?
        var groups: [String]
        var status: String?
    }

    private func collapseKey(_ node: Node) -> CollapseKey? {
        guard node.children.isEmpty, node.probe?.state != .failed, node.run?.slowestRank == nil,
              edge(into: node.id)?.traffic?.busiestRank == nil
        else { return nil }
        return CollapseKey(role: node.role, user: node.user, port: node.port, isLocal: node.isLocal,
                           via: node.via, groups: node.groups, status: node.status)
    }

    private func lineItems(_ ids: [Int], expand: Bool) -> [LineItem] {
        guard !expand else { return ids.map { LineItem(ids: [$0], label: nodes[$0].name) } }
        return siblingRuns(ids, key: collapseKey).map { LineItem(ids: $0.ids, label: $0.label) }
    }

    /// Siblings cut into lines: consecutive ones with the same key form a stretch, cut into
    /// runs of names that count up (`t[01:08]`); a node without a key stands alone. Where
    /// `whole` says so for a key, its stretch stays one run, labelled `first … last` unless
    /// its names count up.
    func siblingRuns<Key: Hashable>(_ ids: [Int], key: (Node) -> Key?,
                                    whole: (Key) -> Bool = { _ in false }) -> [(ids: [Int], label: String)] {
        var result: [(ids: [Int], label: String)] = []
        var i = 0
        while i < ids.count {
            guard let k = key(nodes[ids[i]]) else {
                result.append(([ids[i]], nodes[ids[i]].name))
                i += 1
                continue
            }
            var j = i + 1
            while j < ids.count, key(nodes[ids[j]]) == k { j += 1 }
            let stretch = Array(ids[i..<j])
            let runs = stretch.count == 1 ? [(range: 0..<1, label: nodes[stretch[0]].name)]
                : NameRange.runs(stretch.map { nodes[$0].name })
            if whole(k), runs.count > 1 {
                result.append((stretch, nodes[stretch[0]].name + " … " + nodes[stretch[stretch.count - 1]].name))
            } else {
                for run in runs { result.append((Array(stretch[run.range]), run.label)) }
            }
            i = j
        }
        return result
    }

    private func line(_ item: LineItem, _ paint: Paint) -> String {
        let first = nodes[item.ids[0]]
        var parts: [String] = [paint.name(item.label, first.role)]
        if item.count == 1 {
            parts += TopologyFormat.facts(first).enumerated().map { $0.offset == 0 ? paint.role($0.element, first.role) : $0.element }
        } else {
            parts.append("\(item.count) × " + paint.role(first.role.rawValue, first.role))
            parts.append(rangeEndpoint(item.ids))
            if let via = first.via { parts.append("via " + via.rawValue) }
            if let groups = TopologyFormat.groups(first.groups) { parts.append("groups: " + groups) }
        }
        let figures = item.count == 1 ? runFigures(first, paint) : rangeFigures(item.ids, paint)
        let text = parts.joined(separator: "  ")
        return figures.isEmpty ? text : text + "  │ " + figures.joined(separator: "  ")
    }

    private func runFigures(_ node: Node, _ paint: Paint) -> [String] {
        var parts = TopologyFormat.run(node.run).map { part in
            if part.hasPrefix("slowest") { return paint.marker(part) }
            return part == node.status ? paint.status(part) : part
        }
        let link = TopologyFormat.link(edge(into: node.id)?.traffic)
        if !link.isEmpty {
            parts.append(link.map { $0.hasPrefix("busiest") ? paint.marker($0) : $0 }.joined(separator: " "))
        }
        if let message = node.run?.message { parts.append("(\(TopologyFormat.message(message)))") }
        parts += TopologyFormat.probe(node.probe).map { part in
            part == "up" ? paint.status("UP") : (part.hasPrefix("FAILED") || part.hasPrefix("UNREACHABLE") ? paint.status(part) : part)
        }
        if let message = node.probe?.message { parts.append("(\(TopologyFormat.message(message)))") }
        return parts
    }

    /// The shared status, the spread of times and the total bytes of a collapsed range.
    private func rangeFigures(_ ids: [Int], _ paint: Paint) -> [String] {
        var parts: [String] = []
        if let status = nodes[ids[0]].status {
            let blocked = Set(ids.map { nodes[$0].probe?.blockedBy })
            if nodes[ids[0]].run == nil, blocked.count == 1, let hop = blocked.first ?? nil {
                parts.append(paint.status(status + " behind " + hop))
            } else {
                parts.append(paint.status(status))
            }
        }
        let rtts = ids.compactMap { nodes[$0].probe?.rttMilliseconds }
        if let low = rtts.min().map(TopologyFormat.milliseconds), let high = rtts.max().map(TopologyFormat.milliseconds) {
            parts.append("rtt " + (low == high ? low : low + "–" + high))
        }
        let times = ids.compactMap { nodes[$0].run?.elapsedMilliseconds }
        if let low = times.min(), let high = times.max() {
            parts.append(low == high ? TopologyFormat.duration(milliseconds: low)
                : TopologyFormat.duration(milliseconds: low) + "–" + TopologyFormat.duration(milliseconds: high))
        }
        let links = ids.compactMap { edge(into: $0)?.traffic }
        if !links.isEmpty {
            let down = links.reduce(UInt64(0)) { $0 + $1.bytesDown }
            let up = links.reduce(UInt64(0)) { $0 + $1.bytesUp }
            parts.append("total ↓" + TopologyFormat.bytes(down) + " ↑" + TopologyFormat.bytes(up))
        }
        return parts
    }

    /// `root@10.0.1.[1:40]:22` when the addresses count up too, else `root@(40 addresses):22`.
    private func rangeEndpoint(_ ids: [Int]) -> String {
        let first = nodes[ids[0]]
        if first.isLocal { return "local" }
        let addresses = ids.compactMap { nodes[$0].address }
        let runs = NameRange.runs(addresses)
        let address = Set(addresses).count == 1 ? addresses[0]
            : runs.count == 1 ? runs[0].label : "(\(Set(addresses).count) addresses)"
        return (first.user.map { $0 + "@" } ?? "") + address + (first.port.map { ":\($0)" } ?? "")
    }
}

/// The box-drawing look shared by the tree and the live view: each item's line behind
/// `├── ` or `└── `, its children below it, indented under `│   ` or blank.
enum TreeDrawing {
    static func draw<Item>(_ items: [Item], prefix: String = "", into lines: inout [String],
                           line: (Item) -> String, children: (Item) -> [Item]) {
        for (i, item) in items.enumerated() {
            let last = i == items.count - 1
            lines.append(prefix + (last ? "└── " : "├── ") + line(item))
            draw(children(item), prefix: prefix + (last ? "    " : "│   "), into: &lines, line: line, children: children)
        }
    }
}

/// ANSI colours, or nothing.
struct Paint {
    var enabled: Bool

    func bold(_ text: String) -> String { sgr(text, "1") }

    func name(_ text: String, _ role: TopologyGraph.Role) -> String {
        role == .target ? text : sgr(text, "1")
    }

    func role(_ text: String, _ role: TopologyGraph.Role) -> String {
        switch role {
        case .controller: sgr(text, "1")
        case .relay, .relayTarget: sgr(text, "36")
        case .target: sgr(text, "2")
        }
    }

    func status(_ text: String) -> String {
        switch text {
        case "SUCCESS": sgr(text, "32")
        case "CHANGED": sgr(text, "33")
        case "UP": sgr("up", "32")
        case _ where text.hasPrefix("FAILED") || text.hasPrefix("UNREACHABLE"): sgr(text, "31")
        default: text
        }
    }

    func marker(_ text: String) -> String { sgr(text, "1;35") }

    func sgr(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
