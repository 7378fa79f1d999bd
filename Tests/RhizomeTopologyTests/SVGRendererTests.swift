import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import RhizomeInventory
@testable import RhizomeTopology

/// Counts what the tests look at while Foundation's parser reads the whole document.
private final class SVGCounter: NSObject, XMLParserDelegate {
    var root: String?
    var nodeNames: [String] = []
    var busiestRanks: [Int] = []
    var slowest = 0

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = name }
        let classes = (attributes["class"] ?? "").split(separator: " ")
        if name == "g", classes.contains("node"), let nodeName = attributes["data-name"] { nodeNames.append(nodeName) }
        if name == "g", classes.contains("node"), attributes["data-slowest"] != nil { slowest += 1 }
        if name == "path", classes.contains("busiest"), let rank = attributes["data-busiest"].flatMap({ Int($0) }) {
            busiestRanks.append(rank)
        }
    }
}

@Suite struct SVGRendererTests {
    private static func parse(_ svg: String) throws -> SVGCounter {
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = SVGCounter()
        parser.delegate = counter
        let parsed = parser.parse()
        #expect(parsed, "\(parser.parserError.map { "\($0)" } ?? "") at line \(parser.lineNumber)")
        return counter
    }

    @Test(arguments: ["demo", "tree", "synthetic"], [false, true])
    func oneNodeElementPerHostAndNoOverlap(_ topology: String, _ report: Bool) throws {
        let graph = try GoldenTests.graph(topology, report: report)
        let (svg, layout) = graph.renderSVGWithLayout()
        let counter = try Self.parse(svg)
        #expect(counter.root == "svg")
        #expect(counter.nodeNames.sorted() == graph.nodes.map(\.name).sorted())
        #expect(svg.components(separatedBy: #"class="node""#).count - 1 == graph.nodes.count)

        // Every label box holds its text and lies on the canvas; no two boxes touch.
        let boxes = layout.boxes
        for (id, box) in boxes.enumerated() {
            #expect(box.x >= 0 && box.y >= 0 && box.maxX <= layout.width && box.maxY <= layout.height)
            let longest = layout.lines[id].map(\.count).max() ?? 0
            #expect(box.width >= Double(longest) * SVGLayout.Metrics.characterWidth)
        }
        let sorted = boxes.enumerated().sorted { $0.element.x < $1.element.x }
        for i in sorted.indices {
            for j in sorted.indices.dropFirst(i + 1) {
                if sorted[j].element.x >= sorted[i].element.maxX { break }
                #expect(!sorted[i].element.intersects(sorted[j].element),
                        "\(graph.nodes[sorted[i].offset].name) overlaps \(graph.nodes[sorted[j].offset].name)")
            }
        }
        // Every edge ends on its child's box.
        for edge in graph.edges {
            let end = try #require(layout.paths[edge.child].last)
            let box = boxes[edge.child]
            #expect(end.x >= box.x && end.x <= box.maxX && end.y >= box.y && end.y <= box.maxY)
        }

        if report {
            #expect(counter.busiestRanks.sorted() == [1, 2, 3])
            #expect(counter.slowest == 3)
            #expect(svg.contains("stroke-width: 8") && svg.contains("busiest #1"))
            // Status words keep their own colour next to the slowest marker.
            #expect(svg.contains(#"<tspan class="ok">SUCCESS</tspan>"#))
            #expect(svg.contains(#"<tspan class="marker">slowest #1</tspan>"#))
        } else {
            #expect(counter.busiestRanks.isEmpty && counter.slowest == 0)
        }
    }

    /// 500 hosts behind 5 relays wrap into grids: the picture stays within a few screens each way.
    @Test func wideLevelsWrap() throws {
        let graph = try GoldenTests.graph("synthetic", report: false)
        let layout = graph.renderSVGWithLayout().layout
        #expect(graph.nodes.count > 500)
        let rows = Set(layout.boxes.map(\.y)).count
        #expect(rows < 100, "\(rows) rows")
        #expect(layout.width < 4000 && layout.height < 8000, "\(layout.width) × \(layout.height)")
        #expect(SVGLayout.columns(3) == 1 && SVGLayout.columns(100) == 9)
    }

    @Test func textIsEscaped() throws {
        #expect(SVGText.escape(#"a<b>&"c'"#) == "a&lt;b&gt;&amp;&quot;c&apos;")
        #expect(SVGText.escape("bell\u{07}\tend") == "bell\tend")
        let directory = NSTemporaryDirectory() + "rhizome-svg-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/odd.yml"
        try Data("""
            all:
              children:
                "a&b":
                  hosts:
                    "h<1>": {ansible_host: "x&y\\"z", ansible_user: "o'k]]>"}
            """.utf8).write(to: URL(fileURLWithPath: path))
        let graph = try TopologyGraph(inventory: Inventory.load(sources: [path], sshConfig: ""))
        let svg = graph.renderSVG()
        let counter = try Self.parse(svg)
        #expect(counter.nodeNames.contains("h<1>"))
        #expect(!svg.contains("h<1>"))
    }

    @Test func noSecrets() throws {
        var graph = try TopologyGraph(inventory: Fixtures.withSecrets())
        var outputs = [graph.renderSVG()]
        try graph.overlay(reportJSON: Fixtures.report(for: graph))
        outputs.append(graph.renderSVG())
        for output in outputs {
            for secret in Fixtures.secrets {
                #expect(!output.contains(secret))
            }
        }
    }
}
