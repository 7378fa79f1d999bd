import Foundation
import Testing
import RhizomeInventory
@testable import RhizomeTopology

@Suite struct HTMLRendererTests {
    /// The text of the `<script>` element with this id.
    static func script(_ id: String, in html: String) throws -> String {
        let start = try #require(html.range(of: #"<script type="application/json" id="\#(id)">"#))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        return String(html[start.upperBound..<end.lowerBound])
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    static func occurrences(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test(arguments: ["demo", "tree", "synthetic"], [false, true])
    func selfContainedWithEveryHost(_ topology: String, _ report: Bool) throws {
        var graph = try GoldenTests.graph(topology, report: report)
        if topology == "tree" && report { graph.overlay(probe: Fixtures.probe(for: graph), elapsedSeconds: 1.5) }
        let html = graph.renderHTML(title: "rhizome topology " + topology)
        #expect(html.hasPrefix("<!DOCTYPE html>\n"))

        // Nothing to fetch: no attribute or rule that names a resource, no scheme at all.
        for needle in ["src=", "href=", "srcset", "@import", "url(", "http:", "https:", "file:", "<link", "<img",
                       "<iframe", "<object", "<embed", "<base", "@font-face", "fetch(", "XMLHttpRequest", "WebSocket"] {
            #expect(!html.contains(needle), "\(needle)")
        }
        #expect(html.contains(#"<meta http-equiv="Content-Security-Policy" content="default-src 'none';"#))
        #expect(Self.occurrences("<script", in: html) == 3 && Self.occurrences("</script>", in: html) == 3)
        #expect(Self.occurrences("<style>", in: html) == 1)

        // The embedded graph is the JSON document, and holds every host.
        let embedded = try Self.object(Self.script("rhizome-graph", in: html))
        #expect(NSDictionary(dictionary: embedded).isEqual(to: try Self.object(graph.renderJSON())))
        let names = try #require(embedded["nodes"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        let inventory = try Fixtures.inventory(topology)
        #expect(names.first == "controller" && Set(names.dropFirst()) == Set(inventory.hostNames))
        #expect(names.count == graph.nodes.count)
        let wording = try Self.object(Self.script("rhizome-wording", in: html))
        #expect((wording["nodes"] as? [Any])?.count == graph.nodes.count)
    }

    @Test func hostileNamesStayText() throws {
        let graph = try TopologyGraph(inventory: Fixtures.hostile())
        let html = graph.renderHTML(title: "<b>title</b> & co")
        for name in Fixtures.hostileNames + [Fixtures.hostileGroup] {
            #expect(!html.contains(name), "\(name)")
        }
        #expect(!html.contains("<!--") && !html.contains("<svg") && !html.contains("<img") && !html.contains("<b>"))
        #expect(!html.contains("\u{2028}") && !html.contains("\u{2029}"))
        #expect(!html.contains("window.rhizomeInjected=1</script>"))
        #expect(Self.occurrences("<script", in: html) == 3 && Self.occurrences("</script>", in: html) == 3)
        #expect(html.contains("<title>&lt;b&gt;title&lt;/b&gt; &amp; co</title>"))

        // What the page's script reads back is the names exactly.
        let embedded = try Self.object(Self.script("rhizome-graph", in: html))
        let nodes = try #require(embedded["nodes"] as? [[String: Any]])
        #expect(Set(nodes.compactMap { $0["name"] as? String }) == Set(["controller", "jump"] + Fixtures.hostileNames))
        #expect(nodes.contains { ($0["groups"] as? [String]) == [Fixtures.hostileGroup] })
        let wording = try Self.script("rhizome-wording", in: html)
        #expect(!wording.contains("<") && !wording.contains(">") && !wording.contains("&"))
        _ = try Self.object(wording)
    }

    @Test func scriptData() {
        #expect(HTMLText.scriptData(#"{"a":"</script><!--&\#u{2028}\#u{2029}"}"#)
                == #"{"a":"\u003c/script\u003e\u003c!--\u0026\u2028\u2029"}"#)
        #expect(HTMLText.scriptData(#"{"b":"\\<"}"#) == #"{"b":"\\\u003c"}"#)
    }

    @Test func noSecrets() throws {
        var graph = try TopologyGraph(inventory: Fixtures.withSecrets())
        var pages = [graph.renderHTML()]
        try graph.overlay(reportJSON: Fixtures.report(for: graph))
        graph.overlay(probe: Fixtures.probe(for: graph), elapsedSeconds: 1)
        pages.append(graph.renderHTML())
        for page in pages {
            for secret in Fixtures.secrets {
                #expect(!page.contains(secret))
            }
        }
    }

    /// The words of the side panel and summaries are those of the other formats.
    @Test func wording() throws {
        let graph = try GoldenTests.graph("demo", report: true)
        let wording = HTMLWording(graph)
        let app1 = try #require(graph.nodes.first { $0.name == "app1" })
        let traffic = try #require(graph.edge(into: app1.id)?.traffic)
        let words = wording.nodes[app1.id]
        #expect(words.facts == ["root@198.18.1.11:22", "via relay", "groups: app"])
        #expect(words.status?.text == app1.status && words.status?.tone != nil)
        #expect(words.hover.hasPrefix("app1\ntarget\nroot@198.18.1.11:22"))
        let link = try #require(words.sections.first { $0.heading == "Link edge → app1" })
        #expect(link.rows.contains { $0.value == TopologyFormat.bytes(traffic.bytesDown) })
        #expect(link.rows.contains { $0.label == "bootstrap" && $0.value == TopologyFormat.bytes(traffic.bootstrapBytes) })
        #expect(words.figures.map(\.text).contains("↓" + TopologyFormat.bytes(traffic.bytesDown)))

        let run = try #require(wording.summaries.first { $0.heading == "Run report" })
        #expect(run.rows.contains { $0.label == "module" && $0.value == "command" })
        let busiest = try #require(run.lists.first { $0.heading.hasPrefix("Busiest") })
        #expect(busiest.bars.prefix(3).map(\.rank) == [1, 2, 3])
        #expect(busiest.bars.map { $0.value ?? 0 } == busiest.bars.map { $0.value ?? 0 }.sorted(by: >))
        let slowest = try #require(run.lists.first { $0.heading == "Slowest hosts" })
        #expect(slowest.bars.prefix(3).map(\.rank) == [1, 2, 3])

        var tree = try TopologyGraph(inventory: Fixtures.lab("tree"))
        tree.overlay(probe: Fixtures.probe(for: tree), elapsedSeconds: 1.5)
        let probed = HTMLWording(tree)
        let bastion3 = try #require(tree.nodes.first { $0.name == "bastion3" }?.id)
        let u01 = try #require(tree.nodes.first { $0.name == "u01" }?.id)
        #expect(probed.nodes[bastion3].status?.text == "FAILED" && probed.nodes[bastion3].figures.first?.text == "host key mismatch")
        #expect(probed.nodes[u01].figures.first?.text == "behind bastion3")
        let probeRows = try #require(probed.nodes[bastion3].sections.first { $0.heading == "Probe" }).rows
        #expect(probeRows.contains { $0.label == "cause" && $0.value == "host key mismatch" })
        let summary = try #require(probed.summaries.first { $0.heading == "Probe" })
        #expect(summary.rows.map(\.value).prefix(3) == ["10", "1", "4"])
    }
}
