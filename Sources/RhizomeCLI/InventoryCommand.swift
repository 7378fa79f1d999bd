import ArgumentParser

/// `rhizome inventory`: inspect inventories.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show hosts, groups, variables and the hop tree of inventories."
    )

    func run() async throws {
        throw ValidationError("not available yet")
    }
}
