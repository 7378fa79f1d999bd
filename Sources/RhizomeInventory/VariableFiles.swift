import Foundation

/// `group_vars/` and `host_vars/` beside an inventory, read the way Ansible's
/// `host_group_vars` plugin reads them: `NAME`, `NAME.yml`, `NAME.yaml` or
/// `NAME.json` (the first that exists); a directory `NAME/` contributes every
/// file in it and its sub-directories, in sorted order.
struct VariableFiles {
    static let extensions = ["", ".yml", ".yaml", ".json"]

    /// Variables of many entities, per directory: `tables[directory][entity]`.
    /// Each directory is listed once, so only names with a file are looked up.
    static func tables(kind: String, names: [String], directories: [String]) throws -> [[Int: VariableTable]] {
        var result: [[Int: VariableTable]] = []
        for directory in directories {
            var tables: [Int: VariableTable] = [:]
            let base = (directory as NSString).appendingPathComponent(kind)
            // Names that have a file or directory here, with the extension taken off.
            var stems: Set<String> = []
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
                stems.insert(entry)
                for ext in extensions where !ext.isEmpty && entry.hasSuffix(ext) {
                    stems.insert(String(entry.dropLast(ext.count)))
                }
            }
            if !stems.isEmpty {
                for (id, name) in names.enumerated() where !name.hasPrefix("/") && !name.isEmpty {
                    guard stems.contains(name) else { continue }
                    var table = VariableTable()
                    for file in try files(in: base, name: name) { table.merge(try loadFile(file)) }
                    if !table.isEmpty { tables[id] = table }
                }
            }
            result.append(tables)
        }
        return result
    }

    /// Variables for one entity from every directory, in directory order.
    static func load(kind: String, name: String, directories: [String]) throws -> VariableTable {
        var table = VariableTable()
        // Ansible skips names that look like absolute paths (chroot-style hosts).
        guard !name.hasPrefix("/"), !name.isEmpty else { return table }
        for directory in directories {
            let base = (directory as NSString).appendingPathComponent(kind)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else {
                continue
            }
            for file in try files(in: base, name: name) {
                table.merge(try loadFile(file))
            }
        }
        return table
    }

    /// Ansible's `find_vars_files`.
    static func files(in base: String, name: String) throws -> [String] {
        let stem = (base as NSString).appendingPathComponent(name)
        for ext in extensions {
            let path = stem + ext
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                return try directoryFiles(path)
            }
            return [path]
        }
        return []
    }

    private static func directoryFiles(_ path: String) throws -> [String] {
        var found: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names.sorted(by: codePointLess) where !name.hasPrefix(".") && !name.hasSuffix("~") {
            let full = (path as NSString).appendingPathComponent(name)
            let ext = (name as NSString).pathExtension
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if ext.isEmpty { found += try directoryFiles(full) }
            } else if ext.isEmpty || extensions.contains("." + ext) {
                found.append(full)
            }
        }
        return found
    }

    /// One YAML or JSON file holding a mapping; an empty file holds nothing.
    static func loadFile(_ path: String) throws -> VariableTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InventoryError(.io, "cannot read variables file", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InventoryError(.syntax, "variables file is not valid UTF-8", file: path)
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> VariableTable {
        var table = VariableTable()
        guard let root = try YAMLValues.compose(text, file: file) else { return table }
        var values = YAMLValues(file: file)
        switch root {
        case .mapping(let mapping):
            for pair in try values.pairs(mapping, node: root) {
                table.set(pair.key, try values.value(pair.value), at: values.location(pair.keyNode))
            }
        case .scalar(let s) where s.style == .plain && YAMLValues.resolvePlain(s.string) == .null:
            break
        default:
            throw InventoryError(.invalidValue, "a variables file must hold a mapping", at: values.location(root))
        }
        return table
    }
}
