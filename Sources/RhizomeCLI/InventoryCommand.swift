import ArgumentParser
import Foundation
import RhizomeInventory

/// `rhizome inventory`: inspect inventories.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show hosts, groups, variables and the hop tree of inventories.",
        discussion: """
            Reads Ansible YAML and INI inventories. --list and --host print JSON in the \
            shape ansible-inventory prints; --graph draws the groups; --tree draws the \
            links the mesh builds to reach the selected hosts (never showing secrets). \
            Secret variables print as ******** unless --show-secrets is given: the \
            connection passwords (ansible_password, ansible_ssh_pass, ansible_become_pass and the like) \
            and any variable named password, pass, passwd, passphrase, secret, token, \
            api_key, secret_key or private_key, or ending in _ and one of those, at any depth.
            """
    )

    @OptionGroup var options: InventoryOptions

    @Flag(help: "Print all groups and hosts with their variables, as JSON.")
    var list = false

    @Option(name: .customLong("host"), help: "Print the merged variables of one host, as JSON.")
    var host: String?

    @Flag(help: "Print the group tree (from PATTERN, a group name, or all).")
    var graph = false

    @Flag(help: "Print the hop tree with each host's connection parameters.")
    var tree = false

    @Flag(name: .customLong("show-secrets"),
          help: "With --list and --host, print secret variables (passwords, tokens and the like) instead of ********.")
    var showSecrets = false

    @Argument(help: "Host pattern for --tree, or group for --graph (default all).")
    var pattern: String?

    func validate() throws {
        let modes = [list, host != nil, graph, tree].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("Choose exactly one of --list, --host, --graph and --tree.")
        }
        if showSecrets, !list, host == nil {
            throw ValidationError("--show-secrets applies to --list and --host; --graph and --tree never show variables.")
        }
        if list, pattern != nil {
            throw ValidationError("--list takes no pattern; use --limit.")
        }
    }

    func run() async throws {
        let inventory = try options.load()
        Self.printWarnings(inventory.warnings)
        if list {
            print(try inventory.listJSON(limit: options.limit, maskingSecrets: !showSecrets))
        } else if let host {
            print(try inventory.hostJSON(host, maskingSecrets: !showSecrets))
        } else if graph {
            print(try inventory.graphText(group: pattern ?? "all"))
        } else {
            let selection = try inventory.match(pattern ?? "all", limit: options.limit)
            Self.printWarnings(selection.unmatched.map { "could not match supplied host pattern, ignoring: \($0)" })
            print(inventory.hopTree(for: selection.hosts).render())
        }
    }

    static func printWarnings(_ warnings: [String]) {
        for warning in warnings {
            FileHandle.standardError.write(Data("[WARNING]: \(warning)\n".utf8))
        }
    }
}
