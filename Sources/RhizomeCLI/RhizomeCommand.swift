import ArgumentParser

/// The `rhizome` command line.
public struct RhizomeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rhizome",
        abstract: "Remote execution through a tree of persistent agents.",
        version: RhizomeVersion.string,
        subcommands: [ExecCommand.self, InventoryCommand.self, TopologyCommand.self]
    )

    public init() {}
}

/// The version printed by `--version` and sent in the agent handshake.
public enum RhizomeVersion {
    public static let string = "0.1.0"
}
