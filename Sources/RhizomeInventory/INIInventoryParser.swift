/// Reads an Ansible INI inventory. (Filled in below.)
struct INIInventoryParser {
    var file: String
    var warnings: [InventoryWarning] = []

    init(file: String) {
        self.file = file
    }

    mutating func parse(_ text: String, into graph: inout InventoryGraph) throws {
        throw InventoryError(.syntax, "INI inventories are not supported yet", file: file)
    }
}
