import Foundation

/// Reads `-i` sources into one `InventoryGraph`: files (YAML or INI), directories
/// of them, and comma-separated host lists.
struct InventorySources {
    /// Extensions the YAML plugin accepts (Ansible's `yaml_extensions`).
    static let yamlExtensions: Set<String> = ["yaml", "yml", "json"]
    /// Files Ansible skips inside an inventory directory (`INVENTORY_IGNORE_EXTS`).
    static let ignoredExtensions = [".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry"]

    var graph = InventoryGraph()
    var warnings: [InventoryWarning] = []
    /// Directories whose `group_vars/` and `host_vars/` apply, in source order.
    var variableDirectories: [String] = []

    mutating func load(_ sources: [String]) throws {
        for source in sources where !source.isEmpty {
            if source.containsByte(","), !FileManager.default.fileExists(atPath: source) {
                try loadHostList(source)
                continue
            }
            let path = Self.absolute(Self.expandTilde(source))
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InventoryError(.io, "inventory source not found", file: source)
            }
            if isDirectory.boolValue {
                variableDirectories.append(path)
                try loadDirectory(path)
            } else {
                variableDirectories.append((path as NSString).deletingLastPathComponent)
                try loadFile(path)
            }
        }
        graph.reconcile()
    }

    /// `h1,h2:2222,` — every host goes to `ungrouped`; no ranges, as in Ansible's `host_list` plugin.
    mutating func loadHostList(_ list: String) throws {
        let location = SourceLocation(file: "<host list>", line: 1, column: 1)
        for item in list.split(separator: ",") {
            let entry = item.trimmingSpaces()
            if entry.isEmpty { continue }
            var host = entry
            var port: Int?
            if let parsed = try? HostRange.parseAddress(entry, allowRanges: false) {
                host = parsed.host
                port = parsed.port
            }
            if graph.hostIndex[host] == nil {
                graph.addHost(host, group: InventoryGraph.ungrouped, port: port, at: location)
            }
        }
    }

    private mutating func loadDirectory(_ path: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw InventoryError(.io, "cannot list inventory directory: \(error.localizedDescription)", file: path)
        }
        for name in names.sorted(by: codePointLess) {
            if name.hasPrefix(".") || name == "host_vars" || name == "group_vars" || name == "vars_plugins" { continue }
            if Self.ignoredExtensions.contains(where: { name.hasSuffix($0) }) { continue }
            let full = (path as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try loadDirectory(full)
            } else {
                try loadFile(full)
            }
        }
    }

    mutating func loadFile(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InventoryError(.io, "cannot read inventory file", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InventoryError(.syntax, "inventory file is not valid UTF-8", file: path)
        }
        try parse(text, file: path)
    }

    /// Chooses the format the way Ansible's plugin order does: YAML extensions are
    /// YAML, other extensions are INI, and files without one are YAML when they hold a mapping.
    mutating func parse(_ text: String, file: String) throws {
        let ext = (file as NSString).pathExtension.lowercased()
        let yaml: Bool
        if Self.yamlExtensions.contains(ext) {
            yaml = true
        } else if ext.isEmpty || (file as NSString).lastPathComponent.hasPrefix(".") {
            yaml = YAMLInventoryParser.looksLikeInventory(text)
        } else {
            yaml = false
        }
        if ext == "toml" {
            throw InventoryError(.syntax, "TOML inventories are not supported", file: file)
        }
        if yaml {
            var parser = YAMLInventoryParser(file: file)
            try parser.parse(text, into: &graph)
            warnings += parser.warnings
        } else {
            var parser = INIInventoryParser(file: file)
            try parser.parse(text, into: &graph)
            warnings += parser.warnings
        }
    }

    static func expandTilde(_ path: String) -> String {
        guard path.hasPrefix("~") else { return path }
        return (path as NSString).expandingTildeInPath
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return (path as NSString).standardizingPath }
        let cwd = FileManager.default.currentDirectoryPath
        return ((cwd as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}
