/// Reads an Ansible INI inventory, following the `ini` inventory plugin line by
/// line: `[group]`, `[group:children]` and `[group:vars]` sections, host lines
/// with ranges, ports and `key=value` variables, and Python-literal typing of values.
struct INIInventoryParser {
    var file: String
    var warnings: [InventoryWarning] = []

    private enum State: String {
        case hosts, children, vars
    }

    /// A group named before it was declared, waiting for its declaration.
    private struct Pending {
        var location: SourceLocation
        var state: State
        var parents: [Int] = []
    }

    init(file: String) {
        self.file = file
    }

    mutating func parse(_ text: String, into graph: inout InventoryGraph) throws {
        var pending: [String: Pending] = [:]
        var pendingOrder: [String] = []
        var group = InventoryGraph.ungrouped
        var state = State.hosts
        for (offset, rawLine) in Self.splitLines(text).enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.trimmingSpaces()
            guard let first = line.first, first != ";", first != "#" else { continue }
            let indent = Self.column(of: line, in: rawLine)
            let location = SourceLocation(file: file, line: lineNumber, column: indent)

            if let (name, tag) = Self.sectionHeader(line) {
                let stateName = tag ?? "hosts"
                guard let newState = State(rawValue: stateName) else {
                    throw InventoryError(.syntax, "section [\(name):\(stateName)] has unknown type '\(stateName)'; "
                                             + "use hosts, children or vars", at: location, snippet: line)
                }
                state = newState
                if graph.groupIndex[name] == nil {
                    if state == .vars, pending[name] == nil {
                        pending[name] = Pending(location: location, state: .vars)
                        pendingOrder.append(name)
                    }
                }
                group = graph.addGroup(name, at: location)
                if let waiting = pending[name], state != .vars {
                    if waiting.state == .children {
                        try addPendingChildren(name, &pending, &graph)
                    } else {
                        pending[name] = nil
                    }
                }
                continue
            }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                throw InventoryError(.syntax, "invalid section header; section names cannot contain spaces, ':' or ']'",
                                     at: location, snippet: line)
            }

            switch state {
            case .hosts:
                try parseHostLine(line, group: group, location: location, into: &graph)
            case .vars:
                guard let eq = line.firstIndex(of: "=") else {
                    throw InventoryError(.syntax, "expected key=value", at: location, snippet: line)
                }
                let key = line[..<eq].trimmingSpaces()
                let value = line[line.index(after: eq)...].trimmingSpaces()
                try graph.setGroupVariable(group, key, Self.value(value), at: location)
            case .children:
                guard let child = Self.groupName(line) else {
                    throw InventoryError(.syntax, "expected a group name", at: location, snippet: line)
                }
                if let id = graph.groupIndex[child] {
                    try graph.addChild(parent: group, child: id, at: location)
                } else if pending[child] != nil {
                    pending[child]?.parents.append(group)
                } else {
                    pending[child] = Pending(location: location, state: .children, parents: [group])
                    pendingOrder.append(child)
                }
            }
        }
        // Anything still pending names a group that was never declared.
        for name in pendingOrder {
            guard let waiting = pending[name] else { continue }
            switch waiting.state {
            case .vars:
                throw InventoryError(.syntax, "section [\(name):vars] is not valid for undefined group '\(name)'",
                                     at: waiting.location, snippet: "[\(name):vars]")
            default:
                let parent = waiting.parents.last.map { graph.groups[$0].name } ?? "?"
                throw InventoryError(.syntax, "section [\(parent):children] includes undefined group '\(name)'",
                                     at: waiting.location, snippet: name)
            }
        }
    }

    private func addPendingChildren(_ name: String, _ pending: inout [String: Pending],
                                    _ graph: inout InventoryGraph) throws {
        guard let waiting = pending[name], let id = graph.groupIndex[name] else { return }
        for parent in waiting.parents {
            try graph.addChild(parent: parent, child: id, at: waiting.location)
            let parentName = graph.groups[parent].name
            if pending[parentName]?.state == .children {
                try addPendingChildren(parentName, &pending, &graph)
            }
        }
        pending[name] = nil
    }

    private mutating func parseHostLine(_ line: String, group: Int, location: SourceLocation,
                                        into graph: inout InventoryGraph) throws {
        let tokens: [(word: String, offset: Int)]
        do {
            tokens = try ShellWords.splitWithOffsets(line, comments: true)
        } catch let error as ShellWords.Unbalanced {
            throw InventoryError(.syntax, "cannot parse host line: \(error.message)", at: location, snippet: line)
        }
        guard let pattern = tokens.first?.word else { return }
        let expanded: (hosts: [String], port: Int?)
        do {
            expanded = try HostRange.expand(pattern)
        } catch {
            throw InventoryError(.badRange, error.message, at: location, snippet: error.text)
        }
        if pattern.trimmingSpaces().hasSuffix(":") && expanded.port == nil {
            throw InventoryError(.syntax, "host pattern cannot end in ':' (it introduces a port)", at: location,
                                 snippet: pattern)
        }
        if expanded.hosts.contains(where: { $0.containsByte("-") && $0.trimmingSpaces() == "---" }) {
            throw InventoryError(.syntax, "'---' is not a host; this looks like a YAML file", at: location, snippet: pattern)
        }
        var variables: [(String, InventoryValue, SourceLocation)] = []
        for (token, offset) in tokens.dropFirst() {
            var at = location
            at.column = location.column + offset
            guard let eq = token.firstIndex(of: "=") else {
                throw InventoryError(.syntax, "expected key=value host variable", at: at, snippet: token)
            }
            variables.append((String(token[..<eq]), Self.value(String(token[token.index(after: eq)...])), at))
        }
        for name in expanded.hosts {
            guard !name.isEmpty else { throw InventoryError(.invalidValue, "empty host name", at: location, snippet: line) }
            let host = graph.addHost(name, group: group, port: expanded.port, at: location)
            for (key, value, at) in variables {
                graph.setHostVariable(host, key, value, at: at)
            }
        }
    }

    /// Python-literal typing, as `ast.literal_eval` in Ansible's `_parse_value`.
    static func value(_ text: String) -> InventoryValue {
        PythonLiteral.evaluate(text) ?? .string(text)
    }

    /// `[name]` or `[name:tag]`, optionally followed by whitespace and a `#` comment.
    static func sectionHeader(_ line: String) -> (String, String?)? {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        let inner = line[line.index(after: line.startIndex)..<close]
        let rest = line[line.index(after: close)...].trimmingSpaces()
        guard rest.isEmpty || rest.hasPrefix("#") else { return nil }
        var name = inner
        var tag: String?
        if let colon = inner.firstIndex(of: ":") {
            name = inner[..<colon]
            let t = inner[inner.index(after: colon)...]
            guard !t.isEmpty, t.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else { return nil }
            tag = String(t)
        }
        guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0 == "]" || $0.isWhitespace }) else { return nil }
        return (String(name), tag)
    }

    /// A line in a `:children` section: one group name and an optional comment.
    static func groupName(_ line: String) -> String? {
        // Python: ^([^:\]\s]+)\s*(?:#.*)?$ — '#' belongs to the name unless a space precedes it.
        let name = line.prefix { !($0 == ":" || $0 == "]" || $0.isWhitespace) }
        guard !name.isEmpty else { return nil }
        let rest = line[name.endIndex...].trimmingSpaces()
        guard rest.isEmpty || rest.hasPrefix("#") else { return nil }
        return String(name)
    }

    /// Python's `str.splitlines()`.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var i = start
        while i < scalars.endIndex {
            let c = scalars[i]
            switch c {
            case "\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}", "\r":
                lines.append(String(text[start..<i]))
                var next = scalars.index(after: i)
                if c == "\r", next < scalars.endIndex, scalars[next] == "\n" { next = scalars.index(after: next) }
                start = next
                i = next
            default:
                i = scalars.index(after: i)
            }
        }
        if start < scalars.endIndex { lines.append(String(text[start...])) }
        return lines
    }

    private static func column(of trimmed: String, in raw: String) -> Int {
        guard let first = trimmed.first, let index = raw.firstIndex(of: first) else { return 1 }
        return raw.distance(from: raw.startIndex, to: index) + 1
    }
}
