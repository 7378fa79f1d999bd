/// Variables of one group or host, with where each was set (for warnings and errors).
struct VariableTable: Sendable {
    var values: [String: InventoryValue] = [:]
    var origins: [String: SourceLocation] = [:]

    var isEmpty: Bool { values.isEmpty }

    /// Sets one variable. Like Ansible's `set_variable`, a later value replaces an earlier one.
    mutating func set(_ key: String, _ value: InventoryValue, at origin: SourceLocation?) {
        values[key] = value
        if let origin { origins[key] = origin } else { origins[key] = nil }
    }

    /// Ansible's default `combine_vars` (hash_behaviour=replace): a shallow update.
    mutating func merge(_ other: VariableTable) {
        if other.values.isEmpty { return }
        if values.isEmpty { self = other; return }
        for (key, value) in other.values {
            values[key] = value
            origins[key] = other.origins[key]
        }
    }

    func value(_ key: String) -> InventoryValue? { values[key] }
    func origin(_ key: String) -> SourceLocation? { origins[key] }
}
