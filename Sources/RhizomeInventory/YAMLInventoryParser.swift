import Yams

/// Reads an Ansible YAML inventory (the `yaml` inventory plugin's format) into an `InventoryGraph`.
struct YAMLInventoryParser {
    var file: String
    var values: YAMLValues
    var warnings: [InventoryWarning] = []

    init(file: String) {
        self.file = file
        self.values = YAMLValues(file: file)
    }

    /// Whether `text` parses as YAML holding a mapping (used to tell YAML from INI in files without an extension).
    static func looksLikeInventory(_ text: String) -> Bool {
        guard let node = try? Yams.compose(yaml: text, YAMLValues.resolver), case .mapping = node else { return false }
        return true
    }

    mutating func parse(_ text: String, into graph: inout InventoryGraph) throws {
        guard let root = try YAMLValues.compose(text, file: file) else {
            throw InventoryError(.invalidValue, "empty YAML inventory", file: file, line: 1, column: 1)
        }
        guard case .mapping(let mapping) = root else {
            throw InventoryError(.invalidValue, "a YAML inventory must be a mapping of group names", at: values.location(root))
        }
        if mapping["plugin"] != nil {
            throw InventoryError(.invalidValue,
                                 "this is an inventory plugin configuration (plugin: …); only static inventories are supported",
                                 at: values.location(root))
        }
        for pair in try values.pairs(mapping, node: root) {
            _ = try parseGroup(pair.key, keyNode: pair.keyNode, data: pair.value, into: &graph)
        }
    }

    private mutating func parseGroup(_ name: String, keyNode: Node, data: Node, into graph: inout InventoryGraph) throws -> Int? {
        let location = values.location(keyNode)
        guard name != "" else {
            throw InventoryError(.invalidValue, "empty group name", at: location)
        }
        let section: Node.Mapping?
        switch data {
        case .mapping(let m): section = m
        case .scalar(let s) where YAMLValues.resolvePlain(s.string) == .null && s.style == .plain: section = nil
        default:
            warnings.append(InventoryWarning("skipping '\(name)': not a valid group definition (expected a mapping)",
                                             at: location))
            return nil
        }
        let group = graph.addGroup(name, at: location)
        guard let section else { return group }
        let entries = try values.pairs(section, node: data)
        for entry in entries {
            let key = entry.key
            var body = entry.value
            if ["vars", "children", "hosts"].contains(key) {
                if case .scalar(let s) = body, !(s.style == .plain && YAMLValues.resolvePlain(s.string) == .null) {
                    // A bare string is allowed and means a single entry with no data.
                    body = .mapping(Node.Mapping([(body, Node("", .implicit, .plain))]))
                } else if case .sequence = body {
                    throw InventoryError(.invalidValue,
                                         "invalid \"\(key)\" entry for group \"\(name)\": expected a mapping, found a list",
                                         at: values.location(body))
                }
            }
            guard case .mapping(let sub) = body else {
                if case .scalar(let s) = body, s.style == .plain, YAMLValues.resolvePlain(s.string) == .null { continue }
                warnings.append(InventoryWarning("skipping key '\(key)' in group '\(name)': it is not a mapping",
                                                 at: values.location(entry.keyNode)))
                continue
            }
            switch key {
            case "vars":
                for pair in try values.pairs(sub, node: body) {
                    try graph.setGroupVariable(group, pair.key, try values.value(pair.value), at: values.location(pair.keyNode))
                }
            case "children":
                for pair in try values.pairs(sub, node: body) {
                    if let child = try parseGroup(pair.key, keyNode: pair.keyNode, data: pair.value, into: &graph) {
                        try graph.addChild(parent: group, child: child, at: values.location(pair.keyNode))
                    }
                }
            case "hosts":
                for (hostKey, hostData) in sub {
                    try parseHost(hostKey, data: hostData, group: group, into: &graph)
                }
            default:
                warnings.append(InventoryWarning(
                    "skipping unexpected key '\(key)' in group '\(name)'; only vars, children and hosts are valid",
                    at: values.location(entry.keyNode)))
            }
        }
        return group
    }

    private mutating func parseHost(_ keyNode: Node, data: Node, group: Int, into graph: inout InventoryGraph) throws {
        let location = values.location(keyNode)
        guard case .string(let pattern) = try values.value(keyNode) else {
            throw InventoryError(.invalidValue, "host pattern must be a string; quote numbers", at: location,
                                 snippet: keyNode.scalar?.string)
        }
        let expanded: (hosts: [String], port: Int?)
        do {
            expanded = try HostRange.expand(pattern)
        } catch {
            throw InventoryError(.badRange, error.message, at: location, snippet: error.text)
        }
        var variables: [(String, InventoryValue, SourceLocation)] = []
        switch data {
        case .mapping(let m):
            for pair in try values.pairs(m, node: data) {
                variables.append((pair.key, try values.value(pair.value), values.location(pair.keyNode)))
            }
        case .scalar(let s) where s.style == .plain && YAMLValues.resolvePlain(s.string) == .null:
            break
        default:
            throw InventoryError(.invalidValue, "variables of host '\(pattern)' must be a mapping", at: values.location(data))
        }
        for name in expanded.hosts {
            guard !name.isEmpty else { throw InventoryError(.invalidValue, "empty host name", at: location) }
            let host = graph.addHost(name, group: group, port: expanded.port, at: location)
            for (key, value, origin) in variables {
                graph.setHostVariable(host, key, value, at: origin)
            }
        }
    }
}
