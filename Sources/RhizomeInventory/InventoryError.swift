/// Loads inventories and selects hosts. (Contract used by the controller; the
/// implementation lives beside this file.)
public struct InventoryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public init(_ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.message = message; self.file = file; self.line = line; self.column = column
    }
    public var description: String {
        var location = ""
        if let file { location = file; if let line { location += ":\(line)"; if let column { location += ":\(column)" } }; location += ": " }
        return location + message
    }
}
