import ArgumentParser
import Foundation
import RhizomeInventory
import RhizomeTopology

/// `rhizome topology`: draw the tree of links to the selected hosts.
struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Draw the tree of hops and hosts, with the figures of a run.",
        discussion: """
            Draws the links the mesh builds to reach the hosts PATTERN selects: the controller, \
            the hops in front of hosts (relays) and the hosts themselves (targets), with each \
            node's user@address:port, via mode and groups. --report lays the figures of a run \
            (rhizome exec --report) over it: bytes each way per link, payload bytes saved by \
            relays, cache hits, per-host status and time, the busiest links and slowest hosts. \
            --probe brings the mesh up to every selected host without running a task and shows \
            each node's state, set-up times, round trip, agent version and OS/arch, and for a \
            link that failed the hop and the cause (host key mismatch, auth refused, timeout, \
            no route and others); the hosts behind it are shown unreachable. \
            Secrets are never shown. See docs/topology.md.

            Exit status: 0; with --probe 4 when some node did not come up. 1 for a bad inventory \
            or file, 64 for bad options.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, dot, mermaid, svg, html, json
    }

    @OptionGroup var options: InventoryOptions
    @OptionGroup(title: "Probe options (with --probe)") var connection: ConnectionOptions

    @Argument(help: "Host pattern.")
    var pattern: String = "all"

    @Option(help: "Output format.")
    var format: Format = .tree

    @Option(help: "A run report (from rhizome exec --report) to lay over the tree.")
    var report: String?

    @Flag(help: "Connect through the mesh to every selected host without running a task, and show what was found.")
    var probe = false

    @Flag(name: .short, help: "More output with --probe (-v notices, -vvv link diagnostics).")
    var verbosity: Int

    @Flag(help: "With --probe: draw the tree live on the terminal while links come up.")
    var live = false

    @Flag(help: "One line per host in the tree: do not collapse ranges like web[01:40].")
    var expand = false

    @Option(name: [.short, .customLong("output")], help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        if expand, format != .tree {
            throw ValidationError("--expand applies to --format tree only.")
        }
        if live, !probe {
            throw ValidationError("--live shows a probe as it goes: use it with --probe.")
        }
    }

    func run() async throws {
        let inventory = try options.load()
        InventoryCommand.printWarnings(inventory.warnings)
        let selection = try inventory.match(pattern, limit: options.limit)
        InventoryCommand.printWarnings(selection.unmatched.map { "could not match supplied host pattern, ignoring: \($0)" })
        var graph = TopologyGraph(inventory: inventory, hosts: selection.hosts)
        if let report {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: report))
            } catch {
                throw CommandFailure("cannot read the report \(report): \(error.localizedDescription)")
            }
            do {
                try graph.overlay(reportJSON: data)
            } catch {
                throw CommandFailure("\(report): \(error)")
            }
            if let unmatched = graph.report?.unmatchedHosts, !unmatched.isEmpty {
                InventoryCommand.printWarnings(["\(unmatched.count) host(s) of the report are not in the tree: "
                    + unmatched.prefix(5).joined(separator: ", ") + (unmatched.count > 5 ? ", …" : "")])
            }
        }
        var unreachable = 0
        if let mode = connection.viaMode { graph.overrideViaMode(mode) }
        if probe {
            // The live tree makes way for the result when that goes to the same terminal.
            let resultOnTerminal = output == nil && isatty(STDOUT_FILENO) == 1
            unreachable = try await TopologyProbe.run(selection.hosts, on: &graph, connection: connection, verbosity: verbosity,
                                                      live: live, clearLive: resultOnTerminal)
        }
        let text: String
        switch format {
        case .tree:
            // Colour only on a terminal, never into a file.
            let colour = output == nil && OutputStyle.detect().colour
            text = graph.renderTree(TreeOptions(colour: colour, expand: expand))
        case .dot: text = graph.renderDOT()
        case .mermaid: text = graph.renderMermaid()
        case .svg: text = graph.renderSVG()
        case .html: text = graph.renderHTML(title: (["rhizome topology"] + options.sources.map { "-i " + $0 } + [pattern]).joined(separator: " "))
        case .json: text = graph.renderJSON()
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                throw CommandFailure("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if unreachable > 0 { throw ExitCode(4) }
    }
}
