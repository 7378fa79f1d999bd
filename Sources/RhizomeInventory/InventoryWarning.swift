/// A problem that does not stop loading, with where it comes from.
struct InventoryWarning: Sendable, Hashable {
    var message: String
    var location: SourceLocation?
    /// The host it concerns, if any; warnings that differ only by host are reported once.
    var host: String?

    init(host: String? = nil, _ message: String, at location: SourceLocation?) {
        self.host = host
        self.message = message
        self.location = location
    }

    /// Folds warnings that differ only by host into one line naming the hosts.
    static func render(_ warnings: [InventoryWarning]) -> [String] {
        var order: [InventoryWarning] = []
        var hosts: [InventoryWarning: [String]] = [:]
        var seen: Set<InventoryWarning> = []
        for warning in warnings where seen.insert(warning).inserted {
            var key = warning
            key.host = nil
            if hosts[key] == nil {
                order.append(key)
                hosts[key] = []
            }
            if let host = warning.host { hosts[key, default: []].append(host) }
        }
        return order.map { key in
            var text = key.location.map { "\($0.file):\($0.line): " } ?? ""
            let names = hosts[key] ?? []
            if !names.isEmpty {
                let shown = names.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
                text += (names.count == 1 ? "host " : "hosts ") + shown
                if names.count > 3 { text += " and \(names.count - 3) more" }
                text += ": "
            }
            return text + key.message
        }
    }
}
