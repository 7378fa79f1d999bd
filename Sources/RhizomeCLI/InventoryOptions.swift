import ArgumentParser
import Foundation
import RhizomeInventory

/// Where hosts come from: shared by every command that reads inventories.
struct InventoryOptions: ParsableArguments {
    @Option(name: [.short, .customLong("inventory")],
            help: "Inventory file, directory, or comma list of hosts (repeatable).")
    var inventory: [String] = []

    @Option(name: [.short, .customLong("extra-vars")],
            help: "Extra variables: key=value, JSON/YAML, or @file (repeatable).")
    var extraVars: [String] = []

    @Option(name: [.customShort("l"), .long], help: "Further limit the selected hosts with a pattern (or @file).")
    var limit: String?

    @Option(name: .customLong("ssh-config"), help: "ssh_config file to read (default ~/.ssh/config; 'none' for none).")
    var sshConfig: String?

    /// The sources to read: `-i`, else $ANSIBLE_INVENTORY, else /etc/ansible/hosts when it exists.
    var sources: [String] {
        if !inventory.isEmpty { return inventory }
        if let env = ProcessInfo.processInfo.environment["ANSIBLE_INVENTORY"], !env.isEmpty {
            return env.split(separator: ",").map(String.init)
        }
        return FileManager.default.fileExists(atPath: "/etc/ansible/hosts") ? ["/etc/ansible/hosts"] : []
    }

    func load() throws -> Inventory {
        try Inventory.load(sources: sources, extraVars: extraVars, sshConfig: sshConfig)
    }
}
