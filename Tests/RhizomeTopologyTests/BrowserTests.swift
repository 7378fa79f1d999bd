import Foundation
import Testing
import RhizomeInventory
@testable import RhizomeTopology

/// The HTML page in a real browser: headless Chromium (Debian's `chromium`, which
/// scripts/install-deps installs) driven by Tests/Browser/check_topology_html.py over the
/// DevTools protocol. Fails when Chromium is missing, unless `RHIZOME_SKIP_BROWSER=1`.
/// `RHIZOME_CHROMIUM` names another browser executable; `RHIZOME_BROWSER_OUT=DIR` keeps the
/// pages and screenshots in DIR.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RHIZOME_SKIP_BROWSER"] != "1"))
struct BrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/check_topology_html.py")

    /// Everything, browser start included, must be done by then.
    static let timeout: TimeInterval = 120

    struct Search: Encodable {
        var query: String
        var matches: [String]
        var visible: [String]
    }

    struct Collapse: Encodable {
        var node: String
        var behind: [String]
    }

    struct Click: Encodable {
        var node: String
        var expect: [String]
        var hover: [String]
    }

    struct Case: Encodable {
        var name: String
        var html: String
        var hosts: [String]
        var top: [String]
        var collapse: Collapse?
        var searches: [Search]
        var click: Click?
        var screenshot: String?
    }

    static func chromium() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let named = environment["RHIZOME_CHROMIUM"], !named.isEmpty { return named }
        // Debian's binary itself, without the wrapper script in /usr/bin.
        var candidates = ["/usr/lib/chromium/chromium"]
        for directory in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] { candidates.append("\(directory)/\(name)") }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Debian's interpreter first: the script needs only the standard library.
    static func python() -> String? {
        let paths = ["/usr/bin/python3"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        return paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// What a search for `query` must show, worked out from the inventory: hosts whose name or
    /// one of whose groups contains it, and the hops in front of them.
    static func search(_ query: String, in inventory: Inventory) -> Search {
        let q = query.lowercased()
        let matches = inventory.hosts.filter { host in
            host.name.lowercased().contains(q)
                || host.groups.contains { $0 != "all" && $0 != "ungrouped" && $0.lowercased().contains(q) }
        }
        let visible = Set(matches.flatMap { [$0.name] + $0.hops.map(\.name) })
        return Search(query: query, matches: matches.map(\.name), visible: visible.sorted())
    }

    /// A case for every host of `inventory`, checked against the page of `graph`.
    static func page(_ name: String, _ graph: TopologyGraph, _ inventory: Inventory, in directory: URL, title: String,
                     collapse: String?, searches: [String], click: String, expect: [String]) throws -> Case {
        let html = directory.appendingPathComponent(name + ".html")
        try Data(graph.renderHTML(title: title).utf8).write(to: html)
        let clicked = try #require(inventory.host(named: click))
        return Case(
            name: name, html: html.path, hosts: inventory.hostNames,
            top: inventory.hosts.filter(\.hops.isEmpty).map(\.name),
            collapse: collapse.map { node in
                Collapse(node: node, behind: inventory.hosts.filter { $0.hops.contains { $0.name == node } }.map(\.name))
            },
            searches: searches.map { search($0, in: inventory) },
            click: Click(node: click, expect: expect, hover: [clicked.connection.address]),
            screenshot: directory.appendingPathComponent(name + ".png").path)
    }

    static func cases(in directory: URL) throws -> [Case] {
        var cases: [Case] = []

        let demo = try Fixtures.lab("demo")
        var demoGraph = try TopologyGraph(inventory: demo)
        try demoGraph.overlay(reportJSON: Fixtures.report(for: demoGraph))
        let app1 = try #require(demoGraph.nodes.first { $0.name == "app1" })
        let app1Link = try #require(demoGraph.edge(into: app1.id)?.traffic)
        cases.append(try page("demo-report", demoGraph, demo, in: directory,
                              title: "rhizome topology -i topology/demo.yml all",
                              collapse: "edge", searches: ["app1", "db"],
                              click: "app1", expect: [
                                  "root@198.18.1.11:22", "app", try #require(app1.status), "Link edge → app1",
                                  TopologyFormat.bytes(app1Link.bytesDown), TopologyFormat.bytes(app1Link.bootstrapBytes),
                                  "\(app1Link.cacheHits) of \(app1Link.payloadsSent) payloads sent",
                              ]))

        let tree = try Fixtures.lab("tree")
        var treeGraph = try TopologyGraph(inventory: tree)
        treeGraph.overlay(probe: Fixtures.probe(for: treeGraph), elapsedSeconds: 1.5)
        cases.append(try page("tree-probe", treeGraph, tree, in: directory,
                              title: "rhizome topology -i topology/tree.yml all",
                              collapse: "bastion2", searches: ["u03", "branch1"],
                              click: "bastion3", expect: ["FAILED", "host key mismatch", "does not match known_hosts"]))

        let synthetic = try Fixtures.synthetic()
        let syntheticGraph = try TopologyGraph(inventory: synthetic)
        cases.append(try page("synthetic", syntheticGraph, synthetic, in: directory,
                              title: "rhizome topology -i synthetic.yml all", collapse: "b2",
                              searches: ["web07.s3", "db_s2"], click: "web30.s3", expect: ["admin@10.3.0.30:22", "web_s3"]))

        let hostile = try Fixtures.hostile()
        let hostileGraph = try TopologyGraph(inventory: hostile)
        cases.append(try page("hostile", hostileGraph, hostile, in: directory,
                              title: "rhizome topology -i <hostile>.yml", collapse: "jump", searches: ["<img", "svg"],
                              click: Fixtures.hostileNames[1], expect: [Fixtures.hostileGroup]))
        return cases
    }

    @Test func pagesWorkInChromium() throws {
        let chromium = try #require(Self.chromium(), """
            Chromium not found: scripts/install-deps installs Debian's chromium \
            (RHIZOME_CHROMIUM names another, RHIZOME_SKIP_BROWSER=1 skips this test)
            """)
        let python = try #require(Self.python(), "python3 not found")
        let keep = ProcessInfo.processInfo.environment["RHIZOME_BROWSER_OUT"]
        let directory = URL(fileURLWithPath: keep ?? NSTemporaryDirectory() + "rhizome-browser-tests/" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }

        let casesFile = directory.appendingPathComponent("cases.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Self.cases(in: directory)).write(to: casesFile)

        let started = Date()
        let (status, output) = try Self.run([python, Self.script.path, "--chromium", chromium, "--cases", casesFile.path,
                                             "--timeout", String(Int(Self.timeout) - 10)],
                                            log: directory.appendingPathComponent("browser.log"))
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == 0, "check_topology_html.py exited with \(status):\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
        #expect(elapsed < Self.timeout)
    }

    /// Runs a command with its output in `log`; it gets SIGTERM at the deadline (the script then
    /// closes its browser), SIGKILL 5 s later.
    static func run(_ arguments: [String], log: URL) throws -> (Int32, String) {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            let grace = Date().addingTimeInterval(5)
            while process.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}
