/// The size of a terminal, in character cells.
public struct TerminalSize: Sendable, Hashable {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// What to assume of a terminal that does not tell.
    public static let fallback = TerminalSize(rows: 24, columns: 80)
}

/// One frame of the live view: a header (phase, elapsed time, hosts by status), then the
/// tree in the look of `renderTree`, each node with where it stands.
///
/// A frame fits its terminal: every line is cut to the width, and there are at most
/// `rows - 1` lines, so that the cursor line below it never scrolls. When the tree is
/// taller than that it collapses, a step at a time until it fits: finished siblings with
/// the same status into ranges (`t[01:08]  8 × SUCCESS`), then other quiet siblings
/// (pending, up, unreachable), then subtrees with nothing going on into their hop's line
/// (`b1  relay  up  ⋯ 100 hosts: 60 ok  40 changed`), then runs of quiet siblings into
/// summary lines, then running hosts and busy subtrees the same way. Failed hosts and links
/// collapse last. Rows that folding left free go to reopening subtrees, failures first.
public struct LiveFrame: Sendable {
    public var lines: [String]

    public init(_ snapshot: LiveSnapshot, size: TerminalSize, colour: Bool) {
        lines = LiveLayout(snapshot, paint: Paint(enabled: colour)).lines(size)
    }

    /// The lines, each ended by a newline.
    public var text: String { lines.map { $0 + "\n" }.joined() }
}

/// How much may stand out when it is drawn: collapsing takes the quiet first.
private enum Weight: Int, Comparable, CaseIterable {
    /// Finished without failing, waiting, up, or unreachable behind a hop that shows why.
    case quiet
    /// A link being set up or a task running.
    case active
    /// A failed task or link.
    case failing

    static func < (a: Weight, b: Weight) -> Bool { a.rawValue < b.rawValue }
}

/// What leaf siblings must share to be drawn as one range line.
private enum RangeKey: Hashable {
    case finished(String)
    case pending
    case up
    case unreachable(behind: String)
    case connecting
    /// The task, when it is not the phase's.
    case running(String?)
    case linkFailed(String)

    var weight: Weight {
        switch self {
        case .finished(let status): LiveNodeState.failing(status) ? .failing : .quiet
        case .pending, .up, .unreachable: .quiet
        case .connecting, .running: .active
        case .linkFailed: .failing
        }
    }
}

/// How far to collapse: one rung of the ladder `LiveLayout.lines` climbs.
private struct Plan {
    /// Which leaf siblings join into ranges: 0 none, 1 finished without failing, 2 every
    /// quiet one, 3 quiet ones whatever their names, 4 running ones too, 5 failed ones too.
    var ranges = 0
    /// Subtrees up to this weight may fold into their hop's line.
    var fold: Weight?
    /// Runs of siblings up to this weight may merge into one summary line.
    var merge: Weight?

    func joins(_ key: RangeKey) -> Bool {
        switch key.weight {
        case .quiet:
            if case .finished = key { return ranges >= 1 }
            return ranges >= 2
        case .active: return ranges >= 4
        case .failing: return ranges >= 5
        }
    }

    /// Quiet siblings join whatever their names from level 3 on: `alpha … zulu  26 × SUCCESS`.
    func joinsWhole(_ key: RangeKey) -> Bool { ranges >= 3 && key.weight == .quiet }

    static let ladder = [
        Plan(), Plan(ranges: 1), Plan(ranges: 2), Plan(ranges: 3),
        Plan(ranges: 3, fold: .quiet),
        Plan(ranges: 3, fold: .quiet, merge: .quiet),
        Plan(ranges: 4, fold: .quiet, merge: .quiet),
        Plan(ranges: 4, fold: .active, merge: .quiet),
        Plan(ranges: 4, fold: .active, merge: .active),
        Plan(ranges: 5, fold: .active, merge: .active),
        Plan(ranges: 5, fold: .failing, merge: .active),
        Plan(ranges: 5, fold: .failing, merge: .failing),
    ]
}

/// One line of the tree.
private indirect enum Item {
    /// A node, with the items of its children below it.
    case node(Int, [Item])
    /// A node whose subtree is summed up on its own line.
    case folded(Int)
    /// Leaf siblings with the same key.
    case range([Int], label: String, RangeKey)
    /// Consecutive siblings summed up on one line.
    case merged([Item])

    var children: [Item] {
        if case .node(_, let children) = self { return children }
        return []
    }

    /// Lines it takes, with everything below it.
    var lines: Int { 1 + children.reduce(0) { $0 + $1.lines } }
}

private struct LiveLayout {
    let snapshot: LiveSnapshot
    let paint: Paint
    let graph: TopologyGraph
    /// By node id.
    let weights: [Weight]
    /// The heaviest weight below each node.
    let below: [Weight]

    init(_ snapshot: LiveSnapshot, paint: Paint) {
        self.snapshot = snapshot
        self.paint = paint
        self.graph = snapshot.graph
        let weights = snapshot.nodes.map { $0.isFailing ? Weight.failing : ($0.isActive ? .active : .quiet) }
        var below = Array(repeating: Weight.quiet, count: weights.count)
        // Depth-first ids: children come after their parent.
        for id in graph.nodes.indices.reversed() {
            for child in graph.nodes[id].children { below[id] = max(below[id], weights[child], below[child]) }
        }
        self.weights = weights
        self.below = below
    }

    func lines(_ size: TerminalSize) -> [String] {
        let limit = max(size.rows - 1, 1)
        let budget = limit - 2
        // The tree with each level of ranges, built once: folds and merges work on copies.
        var trees: [Int: [Item]] = [:]
        var items: [Item] = []
        // Every hop takes a line of its own until subtrees fold.
        let hops = graph.nodes.dropFirst().filter { !$0.children.isEmpty }.count
        for (rung, plan) in Plan.ladder.enumerated() {
            if plan.fold == nil, hops > budget, rung < Plan.ladder.count - 1 { continue }
            let tree = trees[plan.ranges] ?? build(0, plan)
            trees[plan.ranges] = tree
            items = self.items(plan, tree: tree, budget: budget)
            if Self.lines(items) <= budget { break }
        }
        var lines = [header(size.columns), controllerLine()]
        TreeDrawing.draw(items, into: &lines, line: { line($0, columns: size.columns) }, children: \.children)
        if lines.count > limit {
            let hidden = lines.count - limit + 1
            lines = Array(lines.prefix(limit - 1)) + [paint.sgr("… \(hidden) more lines", "2")]
        }
        return lines.map { LiveText.cut($0, to: size.columns) }
    }

    // MARK: Collapsing

    private func items(_ plan: Plan, tree: [Item], budget: Int) -> [Item] {
        var items = tree
        var folded: Set<Int> = []
        if let weight = plan.fold {
            folded = folds(items, upTo: weight, need: Self.lines(items) - budget)
            items = Self.fold(items, folded)
        }
        if let weight = plan.merge {
            items = merges(items, under: 0, upTo: weight, need: Self.lines(items) - budget)
        }
        return folded.isEmpty ? items : reopen(items, tree: tree, folded: folded, spare: budget - Self.lines(items))
    }

    private static func lines(_ items: [Item]) -> Int { items.reduce(0) { $0 + $1.lines } }

    private static func fold(_ items: [Item], _ folded: Set<Int>) -> [Item] {
        guard !folded.isEmpty else { return items }
        return items.map { item in
            guard case .node(let id, let children) = item, !children.isEmpty else { return item }
            return folded.contains(id) ? .folded(id) : .node(id, fold(children, folded))
        }
    }

    /// Folding takes whole subtrees and may leave rows free: subtrees that fit in them open
    /// again, those with failures first, as they are or with their quiet and busy children merged.
    private func reopen(_ items: [Item], tree: [Item], folded: Set<Int>, spare: Int) -> [Item] {
        var items = items
        var spare = spare
        var candidates: [Int] = []
        func collect(_ items: [Item]) {
            for item in items {
                if case .folded(let id) = item { candidates.append(id) }
                collect(item.children)
            }
        }
        collect(items)
        candidates.sort { (max(weights[$0], below[$0]), -$0) > (max(weights[$1], below[$1]), -$1) }
        for id in candidates where spare > 0 {
            let children = Self.fold(self.children(of: id, in: tree), folded)
            let merged = merges(children, under: id, upTo: .active, need: .max)
            guard let open = [children, merged].first(where: { Self.lines($0) <= spare && Self.tellsMore($0) }) else { continue }
            items = Self.replace(id, in: items, with: .node(id, open))
            spare -= Self.lines(open)
        }
        return items
    }

    /// The items below node `id` in `tree`, found along its hops from the controller.
    private func children(of id: Int, in tree: [Item]) -> [Item] {
        var path: [Int] = []
        var node: Int? = id
        while let n = node, n != 0 {
            path.append(n)
            node = graph.nodes[n].parent
        }
        var items = tree
        for hop in path.reversed() {
            guard let next = items.first(where: { if case .node(hop, _) = $0 { true } else { false } }) else { return [] }
            items = next.children
        }
        return items
    }

    /// False for one summary line: the folded line says as much.
    private static func tellsMore(_ items: [Item]) -> Bool {
        guard items.count == 1 else { return true }
        switch items[0] {
        case .merged, .range: return false
        case .node, .folded: return true
        }
    }

    private static func replace(_ id: Int, in items: [Item], with new: Item) -> [Item] {
        items.map { item in
            switch item {
            case .folded(id): new
            case .node(let node, let children): .node(node, replace(id, in: children, with: new))
            default: item
            }
        }
    }

    private func key(_ id: Int) -> RangeKey {
        let state = snapshot.nodes[id]
        switch state.run {
        case .finished(let status, _)?: return .finished(status)
        case .running(let task, _)?: return .running(task == snapshot.phase ? nil : task)
        case nil: break
        }
        switch state.link {
        case .pending: return .pending
        case .connecting: return .connecting
        case .up: return .up
        case .failed(let reason): return .linkFailed(reason)
        case .unreachable(let hop): return .unreachable(behind: hop)
        }
    }

    private func build(_ parent: Int, _ plan: Plan) -> [Item] {
        let runs = graph.siblingRuns(graph.nodes[parent].children, key: { node -> RangeKey? in
            guard node.children.isEmpty else { return nil }
            let k = key(node.id)
            return plan.joins(k) ? k : nil
        }, whole: plan.joinsWhole)
        return runs.map { run in
            let id = run.ids[0]
            if run.ids.count > 1 { return .range(run.ids, label: run.label, key(id)) }
            return .node(id, build(id, plan))
        }
    }

    /// Of `savings` (ascending), what saves `need` while hiding as little as it can: the
    /// smallest that saves enough, else the largest.
    private static func pick(_ savings: [Int], need: Int) -> Int? {
        guard let largest = savings.indices.last else { return nil }
        var low = 0, high = savings.count
        while low < high {
            let middle = (low + high) / 2
            if savings[middle] >= need { high = middle } else { low = middle + 1 }
        }
        return low < savings.count ? low : largest
    }

    /// Subtrees to fold, quiet ones first: each saves the lines below its node.
    private func folds(_ items: [Item], upTo limit: Weight, need: Int) -> Set<Int> {
        // Candidates in depth-first order, each with the lines below it and its nearest candidate above.
        var ids: [Int] = []
        var saving: [Int] = []
        var above: [Int?] = []
        var end: [Int] = []
        func collect(_ items: [Item], _ parent: Int?) {
            for case .node(let id, let children) in items where !children.isEmpty {
                let index = ids.count
                ids.append(id)
                saving.append(Self.lines(children))
                above.append(parent)
                end.append(0)
                collect(children, index)
                end[index] = ids.count
            }
        }
        collect(items, nil)
        var need = need
        var alive = Array(repeating: true, count: ids.count)
        var folded: Set<Int> = []
        for weight in Weight.allCases where weight <= limit {
            while need > 0 {
                let pool = ids.indices.filter { alive[$0] && below[ids[$0]] <= weight }.sorted { saving[$0] < saving[$1] }
                guard let pick = Self.pick(pool.map { saving[$0] }, need: need) else { break }
                let chosen = pool[pick]
                folded.insert(ids[chosen])
                need -= saving[chosen]
                var up = above[chosen]
                while let a = up {
                    saving[a] -= saving[chosen]
                    up = above[a]
                }
                for hidden in chosen..<end[chosen] { alive[hidden] = false }
            }
        }
        return folded
    }

    private func weight(_ item: Item) -> Weight {
        switch item {
        case .node(let id, _): weights[id]
        case .folded(let id): max(weights[id], below[id])
        case .range(_, _, let key): key.weight
        case .merged(let items): items.map(weight).max() ?? .quiet
        }
    }

    /// Runs of consecutive one-line siblings up to `limit` merged into summary lines, in
    /// `items`, the children of `root`. A run longer than needed merges only the stretch of
    /// it that hides the least.
    private func merges(_ items: [Item], under root: Int, upTo limit: Weight, need: Int) -> [Item] {
        // Every run that could merge, by the parent whose children it is among.
        var runs: [(parent: Int, range: Range<Int>, weights: [Int])] = []
        func collect(_ items: [Item], _ parent: Int) {
            var run: [Int] = []
            var start = 0
            for (i, item) in items.enumerated() {
                let w = weight(item)
                if item.children.isEmpty, w <= limit {
                    if run.isEmpty { start = i }
                    run.append(w.rawValue)
                } else {
                    if run.count > 1 { runs.append((parent, start..<i, run)) }
                    run = []
                }
                if case .node(let id, let children) = item { collect(children, id) }
            }
            if run.count > 1 { runs.append((parent, start..<items.count, run)) }
        }
        collect(items, root)
        guard need > 0, !runs.isEmpty else { return items }
        runs.sort { $0.range.count < $1.range.count }
        var need = need
        var chosen: [Int: [Int: Range<Int>]] = [:]
        while need > 0, let index = Self.pick(runs.map { $0.range.count - 1 }, need: need) {
            let run = runs.remove(at: index)
            var range = run.range
            if range.count - 1 > need {
                // The window of need + 1 items with the least weight.
                let length = need + 1
                var sum = run.weights.prefix(length).reduce(0, +)
                var best = (sum: sum, start: 0)
                for start in 1...(run.weights.count - length) {
                    sum += run.weights[start + length - 1] - run.weights[start - 1]
                    // On a tie the later stretch: the top of the tree stays in sight.
                    if sum <= best.sum { best = (sum, start) }
                }
                range = (range.lowerBound + best.start)..<(range.lowerBound + best.start + length)
            }
            chosen[run.parent, default: [:]][range.lowerBound] = range
            need -= range.count - 1
        }
        func apply(_ items: [Item], _ parent: Int) -> [Item] {
            let ranges = chosen[parent] ?? [:]
            var out: [Item] = []
            var i = 0
            while i < items.count {
                if let range = ranges[i] {
                    out.append(.merged(Array(items[range])))
                    i = range.upperBound
                    continue
                }
                if case .node(let id, let children) = items[i], !children.isEmpty {
                    out.append(.node(id, apply(children, id)))
                } else {
                    out.append(items[i])
                }
                i += 1
            }
            return out
        }
        return apply(items, root)
    }

    // MARK: Lines

    private func header(_ columns: Int) -> String {
        let clock = snapshot.stopped
            ? "done in " + TopologyFormat.duration(milliseconds: snapshot.elapsed * 1000)
            : Self.clock(Int(snapshot.elapsed))
        // A view of links only has them counted on the controller's line.
        let counts = snapshot.tasks ? snapshot.counts.ordered : []
        let all = counts.map { count($0.count, $0.category) }
        let nonzero = counts.filter { $0.count > 0 }.map { count($0.count, $0.category) }
        let phase = snapshot.phase.map { paint.bold($0) }
        for figures in [all, nonzero] {
            let rest = ([clock] + figures).joined(separator: "  ")
            let line = phase.map { $0 + "  " + rest } ?? rest
            if LiveText.width(line) <= columns { return line }
        }
        let rest = ([clock] + nonzero).joined(separator: "  ")
        let room = columns - LiveText.width(rest) - 2
        guard let phase, room >= 8 else { return rest }
        return LiveText.cut(phase, to: room) + "  " + rest
    }

    /// `controller  13/16 links up  2 connecting  1 failed`.
    private func controllerLine() -> String {
        var up = 0, connecting = 0, failed = 0
        for state in snapshot.nodes.dropFirst() {
            switch state.link {
            case .up: up += 1
            case .connecting: connecting += 1
            case .failed: failed += 1
            case .pending, .unreachable: break
            }
        }
        var parts = [paint.bold("controller"), "\(up)/\(graph.nodes.count - 1) links up"]
        if connecting > 0 { parts.append(paint.sgr("\(connecting) connecting", "36")) }
        if failed > 0 { parts.append(paint.sgr("\(failed) failed", "31")) }
        return parts.joined(separator: "  ")
    }

    /// A part of a line; optional ones go first when the line is too wide.
    private struct Part {
        var text: String
        var optional = false
    }

    private func line(_ item: Item, columns: Int) -> String {
        let parts: [Part]
        switch item {
        case .node(let id, _):
            parts = nodeLine(id)
        case .folded(let id):
            let hosts = summary(Array(graph.descendants(of: id)))
            parts = nodeLine(id) + (hosts.isEmpty ? [] : [Part(text: "⋯ " + hosts)])
        case .range(let ids, let label, let key):
            parts = [Part(text: name(label, ids[0])), Part(text: "\(ids.count) × " + rangeState(key, ids))]
        case .merged(let items):
            parts = [Part(text: paint.sgr(label(item), "2")), Part(text: summary(items.flatMap(self.ids)))]
        }
        // The tree's prefix takes four columns a level.
        let room = columns - 4 * graph.nodes[own(item)[0]].depth
        var kept = parts
        while LiveText.width(kept.map(\.text).joined(separator: "  ")) > room,
              let last = kept.lastIndex(where: \.optional) {
            kept.remove(at: last)
        }
        return kept.map(\.text).joined(separator: "  ")
    }

    private func name(_ text: String, _ id: Int) -> String {
        paint.name(LiveText.sanitise(text), graph.nodes[id].role)
    }

    /// The nodes an item names on its line, without those below them.
    private func own(_ item: Item) -> [Int] {
        switch item {
        case .node(let id, _), .folded(let id): [id]
        case .range(let ids, _, _): ids
        case .merged(let items): items.flatMap(own)
        }
    }

    /// `web[01:16]` when the names of the merged nodes count up, else `first … last`.
    private func label(_ item: Item) -> String {
        let names = own(item).map { graph.nodes[$0].name }
        let runs = NameRange.runs(names)
        return LiveText.sanitise(runs.count == 1 ? runs[0].label : names[0] + " … " + names[names.count - 1])
    }

    /// Every node an item stands for, with the ones below it.
    private func ids(_ item: Item) -> [Int] {
        switch item {
        case .node(let id, let children): [id] + children.flatMap(ids)
        case .folded(let id): [id] + graph.descendants(of: id)
        case .range(let ids, _, _): ids
        case .merged(let items): items.flatMap(ids)
        }
    }

    /// `8 hosts: 5 ok  1 changed  2 running`; empty without hosts.
    private func summary(_ ids: [Int]) -> String {
        var counts = LiveCounts()
        for id in ids where graph.nodes[id].role == .target || graph.nodes[id].role == .relayTarget {
            counts.add(snapshot.nodes[id].category)
        }
        guard counts.total > 0 else { return "" }
        let figures = counts.ordered.filter { $0.count > 0 }.map { count($0.count, $0.category) }
        return "\(counts.total) host\(counts.total == 1 ? "" : "s"): " + figures.joined(separator: "  ")
    }

    private func count(_ count: Int, _ category: String) -> String {
        let text = "\(count) \(category)"
        guard count > 0 else { return paint.sgr(text, "2") }
        switch category {
        case "ok": return paint.sgr(text, "32")
        case "changed": return paint.sgr(text, "33")
        case "failed", "unreachable": return paint.sgr(text, "31")
        case "running": return paint.sgr(text, "1;36")
        case "connecting": return paint.sgr(text, "36")
        case "pending": return paint.sgr(text, "2")
        default: return text
        }
    }

    private func nodeLine(_ id: Int) -> [Part] {
        let node = graph.nodes[id]
        var parts = [Part(text: name(node.name, id))]
        if node.role != .target { parts.append(Part(text: paint.role(node.role.rawValue, node.role), optional: true)) }
        let state = snapshot.nodes[id]
        switch state.run {
        case .running(let task, let since)?:
            parts.append(Part(text: paint.sgr("running " + seconds(since), "1;36")))
            if task != snapshot.phase { parts.append(Part(text: task, optional: true)) }
        case .finished(let status, let milliseconds)?:
            parts.append(Part(text: paint.status(status) + " " + TopologyFormat.duration(milliseconds: milliseconds)))
        case nil:
            break
        }
        switch state.link {
        case .pending:
            if state.run == nil { parts.append(Part(text: paint.sgr("pending", "2"))) }
        case .connecting(let since):
            if state.run == nil { parts.append(Part(text: paint.sgr("connecting " + seconds(since), "36"))) }
        case .up(let setup):
            if state.run == nil { parts.append(Part(text: paint.status("UP"))) }
            if let setup {
                parts.append(Part(text: paint.sgr("setup " + TopologyFormat.duration(milliseconds: setup), "2"), optional: true))
            }
        case .failed(let reason):
            parts.append(Part(text: paint.status("FAILED: " + reason)))
        case .unreachable(let hop):
            parts.append(Part(text: paint.status("UNREACHABLE behind " + LiveText.sanitise(hop))))
        }
        return parts
    }

    /// What a range of leaves share, with the spread of their times.
    private func rangeState(_ key: RangeKey, _ ids: [Int]) -> String {
        let states = ids.map { snapshot.nodes[$0] }
        switch key {
        case .finished(let status):
            let times = states.compactMap { state -> Double? in
                if case .finished(_, let ms)? = state.run { return ms }
                return nil
            }
            return paint.status(status) + "  " + Self.spread(times, TopologyFormat.duration(milliseconds:))
        case .pending:
            return paint.sgr("pending", "2")
        case .up:
            let setups = states.compactMap { state -> Double? in
                if case .up(let ms) = state.link { return ms }
                return nil
            }
            let up = paint.status("UP")
            return setups.isEmpty ? up : up + "  " + paint.sgr("setup " + Self.spread(setups, TopologyFormat.duration(milliseconds:)), "2")
        case .unreachable(let hop):
            return paint.status("UNREACHABLE behind " + LiveText.sanitise(hop))
        case .connecting:
            let since = states.compactMap { state -> Double? in
                if case .connecting(let since) = state.link { return since }
                return nil
            }
            return paint.sgr("connecting " + secondsSpread(since), "36")
        case .running(let task):
            let since = states.compactMap { state -> Double? in
                if case .running(_, let since)? = state.run { return since }
                return nil
            }
            return paint.sgr("running " + secondsSpread(since), "1;36") + (task.map { "  " + $0 } ?? "")
        case .linkFailed(let reason):
            return paint.status("FAILED: " + reason)
        }
    }

    /// `154 ms–302 ms`, or one figure when they are all the same.
    private static func spread(_ values: [Double], _ format: (Double) -> String) -> String {
        guard let low = values.min(), let high = values.max() else { return "" }
        let (a, b) = (format(low), format(high))
        return a == b ? a : a + "–" + b
    }

    /// Whole seconds since `since`, counted on the header's clock so that every timer
    /// on the screen ticks at the same moment: `3s`, `1m05s`, `2h03m`.
    private func seconds(_ since: Double) -> String {
        Self.clock(max(Int(snapshot.elapsed) - Int(since), 0))
    }

    private func secondsSpread(_ since: [Double]) -> String {
        guard let earliest = since.min(), let latest = since.max() else { return "" }
        let (a, b) = (seconds(latest), seconds(earliest))
        return a == b ? a : a + "–" + b
    }

    static func clock(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if seconds < 3600 { return "\(seconds / 60)m" + two(seconds % 60) + "s" }
        return "\(seconds / 3600)h" + two(seconds % 3600 / 60) + "m"
    }
}
