/// Graphviz DOT and Mermaid flowchart text. Labels carry the same facts as the tree;
/// every host gets its own node (no ranges), so that the renderers can lay them out.
extension TopologyGraph {
    /// A Graphviz `digraph`, left to right. Busiest links are drawn thicker, slowest hosts
    /// and failed hosts outlined.
    public func renderDOT() -> String {
        var lines = [
            "digraph rhizome {",
            "  rankdir=LR;",
            "  node [shape=box, style=rounded, fontname=\"monospace\", fontsize=10];",
            "  edge [fontname=\"monospace\", fontsize=9];",
        ]
        for node in nodes {
            var attributes = ["label=\(dotQuote(labelLines(node).joined(separator: "\n")))"]
            switch node.role {
            case .controller: attributes.append("shape=doubleoctagon")
            case .relay: attributes.append("style=\"rounded,filled\", fillcolor=\"#dde8f5\"")
            case .relayTarget: attributes.append("style=\"rounded,filled\", fillcolor=\"#e8f0e0\"")
            case .target: break
            }
            if let colour = TopologyFormat.toneColour(node.status) { attributes.append("color=\"\(colour)\"") }
            if node.run?.slowestRank != nil { attributes.append("penwidth=3") }
            lines.append("  n\(node.id) [\(attributes.joined(separator: ", "))];")
        }
        for edge in edges {
            var attributes: [String] = []
            let label = TopologyFormat.link(edge.traffic)
            if !label.isEmpty { attributes.append("label=\(dotQuote(label.joined(separator: "\n")))") }
            if let via = nodes[edge.child].via, via == .tunnel { attributes.append("style=dashed") }
            if let rank = edge.traffic?.busiestRank {
                attributes.append("penwidth=\(5 - rank)")
                attributes.append("color=\"#b03060\"")
            }
            let suffix = attributes.isEmpty ? "" : " [\(attributes.joined(separator: ", "))]"
            lines.append("  n\(edge.parent) -> n\(edge.child)\(suffix);")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Mermaid `flowchart LR`, with classes for roles, failures and markers.
    public func renderMermaid() -> String {
        var lines = ["flowchart LR"]
        for node in nodes {
            let shape = node.role == .controller ? ("{{", "}}") : ("[", "]")
            lines.append("  n\(node.id)\(shape.0)\"\(mermaidEscape(labelLines(node)).joined(separator: "<br/>"))\"\(shape.1)")
        }
        for edge in edges {
            let label = TopologyFormat.link(edge.traffic)
            let arrow = nodes[edge.child].via == .tunnel ? "-.->" : "-->"
            let text = label.isEmpty ? "" : "|\"\(mermaidEscape(label).joined(separator: " "))\"|"
            lines.append("  n\(edge.parent) \(arrow)\(text) n\(edge.child)")
        }
        lines += [
            "  classDef relay fill:#dde8f5,stroke:#4a6a90",
            "  classDef relayTarget fill:#e8f0e0,stroke:#4a7040",
            "  classDef failed stroke:#c03030,stroke-width:2px",
            "  classDef slowest stroke:#b03060,stroke-width:3px",
        ]
        let classes: [(String, (Node) -> Bool)] = [
            ("relay", { $0.role == .relay }),
            ("relayTarget", { $0.role == .relayTarget }),
            ("failed", { $0.status == "FAILED" || $0.status == "UNREACHABLE" }),
            ("slowest", { $0.run?.slowestRank != nil }),
        ]
        for (name, test) in classes {
            let members = nodes.filter(test).map { "n\($0.id)" }
            if !members.isEmpty { lines.append("  class \(members.joined(separator: ",")) \(name)") }
        }
        var busiest: [String] = []
        for (index, edge) in edges.enumerated() where edge.traffic?.busiestRank != nil {
            busiest.append(String(index))
        }
        if !busiest.isEmpty { lines.append("  linkStyle \(busiest.joined(separator: ",")) stroke:#b03060,stroke-width:4px") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Name, facts, then the run's figures, one per line.
    private func labelLines(_ node: Node) -> [String] {
        guard node.role != .controller else { return ["controller"] }
        var lines = [node.name] + TopologyFormat.facts(node)
        let run = TopologyFormat.run(node.run)
        if !run.isEmpty { lines.append(run.joined(separator: " ")) }
        if let message = node.run?.message { lines.append(TopologyFormat.message(message)) }
        let probe = TopologyFormat.probe(node.probe)
        if !probe.isEmpty { lines.append(probe.joined(separator: " ")) }
        if let message = node.probe?.message { lines.append(TopologyFormat.message(message)) }
        return lines
    }

    private func dotQuote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// Mermaid's entity codes for what would end a quoted label or be read as markup.
    private func mermaidEscape(_ lines: [String]) -> [String] {
        lines.map { line in
            var out = ""
            for character in line {
                switch character {
                case "\"": out += "#quot;"
                case "<": out += "#lt;"
                case ">": out += "#gt;"
                case "#": out += "#35;"
                case "\n": out += " "
                default: out.append(character)
                }
            }
            return out
        }
    }
}
