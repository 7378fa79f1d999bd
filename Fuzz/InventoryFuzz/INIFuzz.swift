// libFuzzer target: Ansible INI inventories.
// Built by run.sh together with the RhizomeInventory sources the INI parser needs.

/// Parses the input as an INI inventory, then reconciles and reads it back the way
/// `rhizome inventory --list` does. Errors are expected; crashes and hangs are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzINI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var graph = InventoryGraph()
    var parser = INIInventoryParser(file: "fuzz.ini")
    do {
        try parser.parse(text, into: &graph)
        graph.reconcile()
        // Touch everything the resolver would read.
        for host in graph.hosts {
            _ = InventoryValue.map(host.vars.values).jsonText()
        }
        for group in graph.groups {
            _ = InventoryValue.map(group.vars.values).jsonText()
        }
    } catch {
        _ = "\(error)"
    }
    return 0
}
