/// Rhizome's own left-to-right tree layout for the SVG renderer (no Graphviz).
///
/// Every subtree owns a horizontal band: the node's box at the band's top left, its
/// children's blocks stacked to its right. Runs of sibling leaves are laid out on a grid
/// (rows of several columns) instead of one column, so that a relay with hundreds of hosts
/// behind it grows roughly square rather than into one endless strip. Bands never share
/// a point, so no two boxes overlap by construction; the canvas simply grows.
struct SVGLayout {
    struct Point: Hashable {
        var x: Double
        var y: Double
    }

    struct Rect: Hashable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double

        var maxX: Double { x + width }
        var maxY: Double { y + height }

        func intersects(_ other: Rect) -> Bool {
            x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
        }
    }

    /// Sizes in SVG user units. The width of a character is a monospace estimate, rounded up.
    enum Metrics {
        static let fontSize = 11.0
        static let characterWidth = 6.8
        static let lineHeight = 14.0
        static let paddingX = 7.0
        static let paddingY = 6.0
        /// Space between a node's box and its children's column; the trunk runs in its middle.
        static let levelGap = 44.0
        /// Space between stacked blocks.
        static let blockGap = 10.0
        /// Space between grid columns.
        static let columnGap = 16.0
        /// Space above each grid row, where the rail to its leaves runs.
        static let railGap = 14.0
        /// Where a rail drops into a leaf, from its left edge.
        static let dropInset = 12.0
        /// Margin around the whole picture.
        static let margin = 16.0
        /// Labels are cut to this many characters (the full text is in the node's `<title>`).
        static let lineLimit = 44
        /// Leaf runs this short stay in one column.
        static let singleColumnLimit = 4
    }

    /// The label lines of each node, by id (already cut to `Metrics.lineLimit`).
    private(set) var lines: [[String]]
    /// The box of each node, by id.
    private(set) var boxes: [Rect]
    /// The polyline of the edge into each node, by child id (empty for the controller).
    private(set) var paths: [[Point]]
    private(set) var width = 0.0
    private(set) var height = 0.0

    init(_ graph: TopologyGraph, lines: [[String]]) {
        self.lines = lines.map { $0.map(Self.cut) }
        boxes = Array(repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: graph.nodes.count)
        paths = Array(repeating: [], count: graph.nodes.count)
        for node in graph.nodes { boxes[node.id] = Rect(x: 0, y: 0, width: size(node.id).width, height: size(node.id).height) }
        let extent = place(graph, graph.root.id, at: Point(x: Metrics.margin, y: Metrics.margin))
        width = extent.x + Metrics.margin
        height = extent.y + Metrics.margin
    }

    static func cut(_ line: String) -> String {
        line.count <= Metrics.lineLimit ? line : String(line.prefix(Metrics.lineLimit - 1)) + "…"
    }

    private func size(_ id: Int) -> (width: Double, height: Double) {
        let longest = lines[id].map(\.count).max() ?? 0
        return (Double(longest) * Metrics.characterWidth + 2 * Metrics.paddingX,
                Double(max(lines[id].count, 1)) * Metrics.lineHeight + 2 * Metrics.paddingY)
    }

    /// Places the subtree of `id` with its top left at `origin`; returns the bottom right of its band.
    private mutating func place(_ graph: TopologyGraph, _ id: Int, at origin: Point) -> Point {
        boxes[id].x = origin.x
        boxes[id].y = origin.y
        let box = boxes[id]
        var extent = Point(x: box.maxX, y: box.maxY)
        let children = graph.nodes[id].children
        guard !children.isEmpty else { return extent }
        let left = box.maxX + Metrics.levelGap
        let trunk = box.maxX + Metrics.levelGap / 2
        let start = Point(x: box.maxX, y: box.y + box.height / 2)
        var y = origin.y
        var i = 0
        while i < children.count {
            if y > origin.y { y += Metrics.blockGap }
            guard graph.nodes[children[i]].children.isEmpty else {
                let child = children[i]
                let bottom = place(graph, child, at: Point(x: left, y: y))
                let middle = boxes[child].y + boxes[child].height / 2
                paths[child] = [start, Point(x: trunk, y: start.y), Point(x: trunk, y: middle), Point(x: left, y: middle)]
                extent = Point(x: max(extent.x, bottom.x), y: max(extent.y, bottom.y))
                y = bottom.y
                i += 1
                continue
            }
            var j = i + 1
            while j < children.count, graph.nodes[children[j]].children.isEmpty { j += 1 }
            let bottom = placeGrid(Array(children[i..<j]), left: left, top: y, trunk: trunk, start: start)
            extent = Point(x: max(extent.x, bottom.x), y: max(extent.y, bottom.y))
            y = bottom.y
            i = j
        }
        return extent
    }

    /// Columns for a run of `count` leaves: one for short runs, else about 4 columns to 3 rows,
    /// which keeps boxes several times wider than tall close to square overall.
    static func columns(_ count: Int) -> Int {
        guard count > Metrics.singleColumnLimit else { return 1 }
        return min(count, Int((Double(count) * 0.75).squareRoot().rounded(.up)))
    }

    /// A grid of leaves, row by row. In a single column each leaf is entered from the left;
    /// otherwise from above, along a rail in the gap over its row.
    private mutating func placeGrid(_ leaves: [Int], left: Double, top: Double, trunk: Double, start: Point) -> Point {
        let columns = Self.columns(leaves.count)
        let cellWidth = leaves.map { boxes[$0].width }.max() ?? 0
        let cellHeight = leaves.map { boxes[$0].height }.max() ?? 0
        let railGap = columns == 1 ? 0 : Metrics.railGap
        let rowGap = columns == 1 ? Metrics.blockGap : 0
        var extent = Point(x: left, y: top)
        for (k, leaf) in leaves.enumerated() {
            let row = Double(k / columns), column = Double(k % columns)
            let x = left + column * (cellWidth + Metrics.columnGap)
            let y = top + row * (cellHeight + railGap + rowGap) + railGap
            boxes[leaf].x = x
            boxes[leaf].y = y
            if columns == 1 {
                let middle = y + boxes[leaf].height / 2
                paths[leaf] = [start, Point(x: trunk, y: start.y), Point(x: trunk, y: middle), Point(x: x, y: middle)]
            } else {
                let rail = y - railGap / 2
                paths[leaf] = [start, Point(x: trunk, y: start.y), Point(x: trunk, y: rail),
                               Point(x: x + Metrics.dropInset, y: rail), Point(x: x + Metrics.dropInset, y: y)]
            }
            extent = Point(x: max(extent.x, boxes[leaf].maxX), y: max(extent.y, boxes[leaf].maxY))
        }
        return extent
    }
}
