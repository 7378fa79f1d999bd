import Foundation
import Testing
import RhizomeInventory
@testable import RhizomeTopology

/// Compares renderer output with the files in `Golden/`. `RHIZOME_UPDATE_GOLDEN=1`
/// rewrites them in the source tree instead (rebuild afterwards: the bundle holds copies).
enum Golden {
    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static var updating: Bool { ProcessInfo.processInfo.environment["RHIZOME_UPDATE_GOLDEN"] == "1" }

    static func check(_ text: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        if updating {
            try FileManager.default.createDirectory(at: sourceDirectory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: sourceDirectory.appendingPathComponent(name))
            return
        }
        let directory = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil))
        let expected = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        if text != expected {
            let got = text.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            Issue.record("""
                \(name) differs from line \(line + 1) (RHIZOME_UPDATE_GOLDEN=1 rewrites it):
                  got:  \(line < got.count ? String(got[line]) : "<end>")
                  want: \(line < want.count ? String(want[line]) : "<end>")
                """, sourceLocation: sourceLocation)
        }
    }
}

@Suite struct GoldenTests {
    /// The graph of a topology, with or without a report laid over it.
    static func graph(_ topology: String, report: Bool) throws -> TopologyGraph {
        var graph = try TopologyGraph(inventory: Fixtures.inventory(topology))
        if report {
            // The synthetic inventory's report is small: site 1 only.
            let covers: (TopologyGraph.Node) -> Bool = topology == "synthetic"
                ? { $0.name == "b1" || $0.name.hasSuffix(".s1") } : { _ in true }
            try graph.overlay(reportJSON: Fixtures.report(for: graph, covers: covers))
        }
        return graph
    }

    @Test(arguments: ["demo", "tree", "synthetic"], [false, true])
    func renderers(_ topology: String, _ report: Bool) throws {
        let graph = try Self.graph(topology, report: report)
        let stem = topology + (report ? "-report" : "")
        try Golden.check(graph.renderTree(), stem + ".tree.txt")
        try Golden.check(graph.renderDOT(), stem + ".dot")
        try Golden.check(graph.renderMermaid(), stem + ".mmd")
        try Golden.check(graph.renderJSON(), stem + ".json")
    }

    /// The tree lab with a probe in which bastion3 refused its host key.
    @Test func probe() throws {
        var graph = try TopologyGraph(inventory: Fixtures.inventory("tree"))
        graph.overlay(probe: Fixtures.probe(for: graph), elapsedSeconds: 1.25)
        try Golden.check(graph.renderTree(), "tree-probe.tree.txt")
        try Golden.check(graph.renderDOT(), "tree-probe.dot")
        try Golden.check(graph.renderMermaid(), "tree-probe.mmd")
        try Golden.check(graph.renderJSON(), "tree-probe.json")
    }

    @Test func expandedAndColouredTrees() throws {
        try Golden.check(Self.graph("synthetic", report: false).renderTree(TreeOptions(expand: true)),
                         "synthetic-expanded.tree.txt")
        try Golden.check(Self.graph("tree", report: true).renderTree(TreeOptions(colour: true)), "tree-report-colour.tree.txt")
    }
}
