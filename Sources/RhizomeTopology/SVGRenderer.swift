import Foundation

/// A self-contained SVG picture of the tree, from `SVGLayout` (no Graphviz, no scripts, no fonts).
/// Each host is one `<g class="node" data-name="…">` with its label and a `<title>` holding every
/// fact and figure; each link is one `<path class="edge">`. With a report, the busiest links get
/// a wide magenta stroke on the stretch that is theirs alone (from the trunk into the child:
/// the trunk itself is shared with the siblings), and the slowest hosts are filled and
/// outlined in magenta.
extension TopologyGraph {
    public func renderSVG() -> String {
        renderSVGWithLayout().svg
    }

    /// The picture and the layout it was drawn from (the tests check the boxes).
    func renderSVGWithLayout() -> (svg: String, layout: SVGLayout) {
        let labels = nodes.map(svgLabel)
        let layout = SVGLayout(self, lines: labels.map { $0.map { $0.map(\.text).joined() } })
        let f = SVGNumber.format
        var out = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(layout.width))" height="\#(f(layout.height))" "#
                + #"viewBox="0 0 \#(f(layout.width)) \#(f(layout.height))" font-family="monospace" "#
                + #"font-size="\#(f(SVGLayout.Metrics.fontSize))">"#,
            "<style>",
            "  .edge { fill: none; stroke: #8a8a8a; stroke-width: 1.2; }",
            "  .edge.tunnel { stroke-dasharray: 5 3; }",
            "  .highlight { fill: none; stroke: #b03060; stroke-linecap: butt; }",
            "  .node rect { fill: #ffffff; stroke: #606060; stroke-width: 1; }",
            "  .node[data-role=\"relay\"] rect { fill: #dde8f5; }",
            "  .node[data-role=\"relay+target\"] rect { fill: #e8f0e0; }",
            "  .node[data-role=\"controller\"] rect { fill: #f0f0f0; stroke-width: 2; }",
            "  .node[data-slowest] rect { fill: #fbe3ec; stroke: #b03060; stroke-width: 3; }",
            "  .node text .name { font-weight: bold; }",
            "  .node text .marker { fill: #b03060; font-weight: bold; }",
            "  .node text .ok { fill: #2a7a2a; font-weight: bold; }",
            "  .node text .warn { fill: #9a6a00; font-weight: bold; }",
            "  .node text .bad { fill: #c03030; font-weight: bold; }",
            "</style>",
        ]
        if let report {
            let summary = "\(report.module) · \(String(format: "%.2f", report.elapsedSeconds)) s"
            out.append("<title>rhizome topology: \(SVGText.escape(summary))</title>")
        } else {
            out.append("<title>rhizome topology</title>")
        }

        // Busiest links last, so that their highlights are drawn over the other links.
        let weight: (Edge) -> Int = { $0.traffic?.busiestRank.map { 4 - $0 } ?? 0 }
        let ordered = edges.enumerated().sorted { (weight($0.element), $0.offset) < (weight($1.element), $1.offset) }
            .map(\.element)
        out.append(#"<g id="edges">"#)
        for edge in ordered {
            let points = layout.paths[edge.child]
            guard let first = points.first else { continue }
            let d = "M\(f(first.x)) \(f(first.y))" + points.dropFirst().map { " L\(f($0.x)) \(f($0.y))" }.joined()
            var classes = ["edge"]
            if nodes[edge.child].via == .tunnel { classes.append("tunnel") }
            var attributes = ""
            if let rank = edge.traffic?.busiestRank {
                classes.append("busiest")
                // Ranks 1–3 are drawn 8, 6 and 4 wide (the others 1.2).
                attributes = #" data-busiest="\#(rank)""#
            }
            let label = [nodes[edge.parent].name + " → " + nodes[edge.child].name] + TopologyFormat.link(edge.traffic)
            let title = "<title>\(SVGText.escape(label.joined(separator: " ")))</title>"
            out.append(#"  <path class="\#(classes.joined(separator: " "))" data-child="\#(SVGText.escape(nodes[edge.child].name))"\#(attributes) d="\#(d)">"#
                + title + "</path>")
            if let rank = edge.traffic?.busiestRank, points.count >= 2 {
                // The last turn onto the child's row, to the child's box: no sibling shares it.
                let own = points.suffix(2)
                let h = "M\(f(own.first!.x)) \(f(own.first!.y)) L\(f(own.last!.x)) \(f(own.last!.y))"
                // Ranks 1–3 are drawn 8, 6 and 4 wide (links are 1.2).
                out.append(#"  <path class="highlight" style="stroke-width: \#(10 - 2 * rank)" d="\#(h)">"# + title + "</path>")
            }
        }
        out.append("</g>")

        out.append(#"<g id="nodes">"#)
        for node in nodes {
            let box = layout.boxes[node.id]
            // The class is exactly `node` on every host, so that counting hosts is a plain search;
            // role and markers are attributes that the style sheet selects on.
            var attributes = #"class="node" data-name="\#(SVGText.escape(node.name))" data-role="\#(node.role.rawValue)""#
            if let status = node.status { attributes += #" data-status="\#(SVGText.escape(status))""# }
            if let rank = node.run?.slowestRank { attributes += #" data-slowest="\#(rank)""# }
            out.append("  <g \(attributes)>")
            out.append("    <title>\(SVGText.escape(TopologyFormat.hover(node, link: edge(into: node.id)?.traffic).joined(separator: "\n")))</title>")
            var rect = #"    <rect x="\#(f(box.x))" y="\#(f(box.y))" width="\#(f(box.width))" height="\#(f(box.height))" rx="4""#
            if node.run?.slowestRank == nil, let colour = TopologyFormat.toneColour(node.status) {
                rect += #" style="stroke: \#(colour); stroke-width: 2""#
            }
            out.append(rect + "/>")
            var text = #"    <text x="\#(f(box.x + SVGLayout.Metrics.paddingX))" y="\#(f(box.y + SVGLayout.Metrics.paddingY))">"#
            for (k, line) in layout.lines[node.id].enumerated() {
                let y = box.y + SVGLayout.Metrics.paddingY + Double(k + 1) * SVGLayout.Metrics.lineHeight - 3.5
                let cls = k == 0 ? #" class="name""# : ""
                // A line cut short loses its colours; its full text is in the title.
                let segments = labels[node.id][k]
                let content = segments.map(\.text).joined() != line ? SVGText.escape(line) : segments.map { segment in
                    segment.style.map { #"<tspan class="\#($0)">\#(SVGText.escape(segment.text))</tspan>"# }
                        ?? SVGText.escape(segment.text)
                }.joined()
                text += #"<tspan x="\#(f(box.x + SVGLayout.Metrics.paddingX))" y="\#(f(y))"\#(cls)>\#(content)</tspan>"#
            }
            out.append(text + "</text>")
            out.append("  </g>")
        }
        out.append("</g>")
        out.append("</svg>")
        return (out.joined(separator: "\n") + "\n", layout)
    }

    /// A piece of a label line, with the class that colours it.
    struct SVGSegment {
        var text: String
        var style: String?
    }

    /// Name, role and endpoint, via and groups, then the run's figures and the probe's, with
    /// statuses coloured and the slowest marker in magenta.
    private func svgLabel(_ node: Node) -> [[SVGSegment]] {
        guard node.role != .controller else { return [[SVGSegment(text: "controller")]] }
        let plain = { (text: String) in [SVGSegment(text: text)] }
        var lines = [plain(node.name), plain(([node.role.rawValue] + (node.endpoint.map { [$0] } ?? [])).joined(separator: "  "))]
        var more: [String] = []
        if let via = node.via { more.append("via " + via.rawValue) }
        if let groups = TopologyFormat.groups(node.groups) { more.append("groups: " + groups) }
        if !more.isEmpty { lines.append(plain(more.joined(separator: "  "))) }
        let run = TopologyFormat.run(node.run)
        if !run.isEmpty {
            lines.append(run.enumerated().flatMap { k, part in
                let style = part == node.run?.status ? TopologyFormat.tone(part) : (part.hasPrefix("slowest") ? "marker" : nil)
                return (k == 0 ? [] : [SVGSegment(text: " ")]) + [SVGSegment(text: part, style: style)]
            })
        }
        let probe = TopologyFormat.probe(node.probe)
        if let first = probe.first, let state = node.probe?.state {
            let style = state == .up ? "ok" : "bad"
            lines.append([SVGSegment(text: first, style: style)] + probe.dropFirst().map { SVGSegment(text: " " + $0) })
        }
        return lines
    }

}

/// Text made safe for XML character data and attribute values.
enum SVGText {
    /// Escapes markup characters and drops what XML 1.0 cannot hold (control characters but tab and newline).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || (0xFFFE...0xFFFF).contains(v) || (0xD800...0xDFFF).contains(v) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Coordinates with at most one decimal place, and none when whole.
enum SVGNumber {
    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }
}
