import Foundation
import Synchronization

/// Something that happened during a run, for the live view. Nodes are named as in the
/// graph: the inventory name, or `user@host:port` for a hop outside the inventory.
/// Names the graph does not know are ignored.
public enum LiveEvent: Sendable, Hashable {
    /// What the run does now, for the header: `TASK [install nginx]`, `command: uptime`.
    /// Hosts that finished the previous phase without failing go back to waiting; failed
    /// and unreachable hosts keep their status, as they take no further part.
    case phase(String)
    /// Set-up of the link to a node has started.
    case connecting(String)
    /// The link is up: its agent answers. Set-up is handshake, authentication and bootstrap.
    case linkUp(String, setupMilliseconds: Double)
    /// The link to a node failed, or was lost; `reason` in a few words (`auth refused`).
    /// Every node behind it that has not finished its task is unreachable behind it.
    case linkFailed(String, reason: String)
    /// A task started on a host. `task` is shown when it differs from the phase.
    case taskStarted(String, task: String)
    /// A task ended on a host: `status` as the run reports it (SUCCESS, CHANGED, FAILED,
    /// UNREACHABLE, SKIPPED…), `milliseconds` from dispatch to result.
    case taskFinished(String, status: String, milliseconds: Double)
}

/// Where one node stands. Times are seconds on the state's clock since it was created.
public struct LiveNodeState: Sendable, Hashable {
    public enum Link: Sendable, Hashable {
        case pending
        case connecting(since: Double)
        case up(setupMilliseconds: Double?)
        case failed(reason: String)
        /// Never tried: the hop named failed in front of it.
        case unreachable(behind: String)
    }

    public enum Run: Sendable, Hashable {
        case running(task: String, since: Double)
        case finished(status: String, milliseconds: Double)
    }

    public var link: Link = .pending
    public var run: Run?

    public init(link: Link = .pending, run: Run? = nil) {
        self.link = link
        self.run = run
    }

    /// The heading it is counted under: `ok`, `changed`, `failed`, `unreachable`, `running`,
    /// `connecting`, `pending` (waiting, or up without a task yet), or another status in lower case.
    public var category: String {
        switch run {
        case .finished(let status, _)?:
            switch status {
            case "SUCCESS": return "ok"
            default: return status.lowercased()
            }
        case .running?:
            return "running"
        case nil:
            switch link {
            case .failed, .unreachable: return "unreachable"
            case .connecting: return "connecting"
            case .pending, .up: return "pending"
            }
        }
    }

    /// True when the task on it failed, or its own link did: what must stay in sight.
    var isFailing: Bool {
        if case .failed = link { return true }
        if case .finished(let status, _)? = run { return LiveNodeState.failing(status) }
        return false
    }

    /// True while something happens on it: its link being set up, or a task running.
    var isActive: Bool {
        if case .running? = run { return true }
        if case .connecting = link { return run == nil }
        return false
    }

    static func failing(_ status: String) -> Bool {
        status.hasPrefix("FAIL") || status == "UNREACHABLE" || status == "FATAL"
    }
}

/// Hosts by category, in the order the view shows them.
public struct LiveCounts: Sendable, Hashable {
    /// Always shown in the header, even at zero.
    public static let headings = ["ok", "changed", "failed", "unreachable", "running", "pending"]

    public private(set) var counts: [String: Int] = [:]

    public init() {}

    public subscript(_ category: String) -> Int { counts[category] ?? 0 }

    mutating func add(_ category: String, _ count: Int = 1) { counts[category, default: 0] += count }

    mutating func add(_ other: LiveCounts) {
        for (category, count) in other.counts { add(category, count) }
    }

    public var total: Int { counts.values.reduce(0, +) }

    /// The headings, with `connecting` and other statuses (`skipped`…) where there are any.
    var ordered: [(category: String, count: Int)] {
        let others = counts.keys.filter { !Self.headings.contains($0) && $0 != "connecting" }.sorted()
        let connecting = self["connecting"] > 0 ? ["connecting"] : []
        let shown: [String] = ["ok", "changed", "failed", "unreachable"] + others + ["running"] + connecting + ["pending"]
        return shown.map { ($0, self[$0]) }
    }
}

/// Everything the live view draws, at one moment.
public struct LiveSnapshot: Sendable {
    public var graph: TopologyGraph
    /// By node id; the controller's is always up.
    public var nodes: [LiveNodeState]
    public var phase: String?
    /// Seconds since the state was created, on its clock; frozen once it stopped.
    public var elapsed: Double
    /// True once the run is over: the frame is the last one.
    public var stopped: Bool
    /// Changes with every event that changed something.
    public var version: Int
    /// False for a view of links only (a probe): the header counts no task states.
    public var tasks: Bool = true

    /// Hosts (targets and relay+targets) by category.
    public var counts: LiveCounts {
        var counts = LiveCounts()
        for node in graph.nodes where node.role == .target || node.role == .relayTarget {
            counts.add(nodes[node.id].category)
        }
        return counts
    }
}

/// The state of a run as the live view shows it, fed by events from any thread.
public final class LiveState: Sendable {
    public let graph: TopologyGraph
    /// False for a view of links only: see `LiveSnapshot.tasks`.
    public let tasks: Bool
    private let clock: @Sendable () -> Double
    private let origin: Double
    private let index: [String: Int]
    private let mutable: Mutex<Mutable>

    private struct Mutable {
        var nodes: [LiveNodeState]
        var phase: String?
        var stoppedAt: Double?
        var version = 0
    }

    /// `clock` gives seconds on a monotonic clock; the system's uptime unless a test brings its own.
    public init(graph: TopologyGraph, tasks: Bool = true,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.graph = graph
        self.tasks = tasks
        self.clock = clock
        self.origin = clock()
        self.index = graph.index()
        var nodes = Array(repeating: LiveNodeState(), count: graph.nodes.count)
        nodes[0].link = .up(setupMilliseconds: nil)
        self.mutable = Mutex(Mutable(nodes: nodes))
    }

    /// Seconds since the state was created.
    var now: Double { clock() - origin }

    public func send(_ event: LiveEvent) {
        let now = self.now
        mutable.withLock { apply(event, to: &$0, at: now) }
    }

    /// Freezes the clock of the header: the run is over.
    public func stop() {
        let now = self.now
        mutable.withLock { state in
            if state.stoppedAt == nil {
                state.stoppedAt = now
                state.version += 1
            }
        }
    }

    public func snapshot() -> LiveSnapshot {
        let now = self.now
        return mutable.withLock { state in
            LiveSnapshot(graph: graph, nodes: state.nodes, phase: state.phase, elapsed: state.stoppedAt ?? now,
                         stopped: state.stoppedAt != nil, version: state.version, tasks: tasks)
        }
    }

    private func apply(_ event: LiveEvent, to state: inout Mutable, at now: Double) {
        func set(_ id: Int, _ node: LiveNodeState) {
            guard state.nodes[id] != node else { return }
            state.nodes[id] = node
            state.version += 1
        }
        // A link being set up or up means every hop in front of it is up.
        func linkAbove(_ id: Int) {
            var parent = graph.nodes[id].parent
            while let p = parent, p != 0 {
                switch state.nodes[p].link {
                case .pending, .connecting, .unreachable:
                    set(p, LiveNodeState(link: .up(setupMilliseconds: nil), run: state.nodes[p].run))
                case .up, .failed:
                    break
                }
                parent = graph.nodes[p].parent
            }
        }
        if case .phase(let text) = event {
            let phase = LiveText.sanitise(text)
            if state.phase != phase {
                state.phase = phase
                state.version += 1
            }
            for id in state.nodes.indices {
                if case .finished(let status, _)? = state.nodes[id].run, !LiveNodeState.failing(status) {
                    set(id, LiveNodeState(link: state.nodes[id].link))
                }
            }
            return
        }
        guard let name = event.node, let id = index[name], id != 0 else { return }
        var node = state.nodes[id]
        switch event {
        case .phase:
            break
        case .connecting:
            node.link = .connecting(since: now)
            linkAbove(id)
        case .linkUp(_, let setup):
            node.link = .up(setupMilliseconds: setup)
            linkAbove(id)
        case .linkFailed(_, let reason):
            node.link = .failed(reason: LiveText.sanitise(reason))
            if case .running? = node.run { node.run = nil }
            for below in graph.descendants(of: id) {
                if case .finished? = state.nodes[below].run { continue }
                set(below, LiveNodeState(link: .unreachable(behind: name)))
            }
        case .taskStarted(_, let task):
            node.run = .running(task: LiveText.sanitise(task), since: now)
            switch node.link {
            case .pending, .connecting: node.link = .up(setupMilliseconds: nil)
            case .up, .failed, .unreachable: break
            }
            linkAbove(id)
        case .taskFinished(_, let status, let milliseconds):
            var status = LiveText.sanitise(status).uppercased()
            if status == "OK" { status = "SUCCESS" }
            switch node.link {
            case .failed, .unreachable:
                // The link already says so, and names the hop to blame.
                if status == "UNREACHABLE" {
                    node.run = nil
                    break
                }
                // A result came back: the host was reached after all.
                if case .unreachable = node.link { node.link = .up(setupMilliseconds: nil) }
                node.run = .finished(status: status, milliseconds: milliseconds)
            case .pending, .connecting:
                // A result means the link was up, unless the run says it was not.
                if status != "UNREACHABLE" {
                    node.link = .up(setupMilliseconds: nil)
                    linkAbove(id)
                }
                node.run = .finished(status: status, milliseconds: milliseconds)
            case .up:
                node.run = .finished(status: status, milliseconds: milliseconds)
            }
        }
        set(id, node)
    }

}

extension TopologyGraph {
    /// Ids of the nodes behind `id`: the ones after it in depth-first order, up to the first that is not deeper.
    func descendants(of id: Int) -> Range<Int> {
        let depth = nodes[id].depth
        var end = id + 1
        while end < nodes.count, nodes[end].depth > depth { end += 1 }
        return (id + 1)..<end
    }
}

extension LiveEvent {
    /// The node the event is about; nil for a phase.
    var node: String? {
        switch self {
        case .phase: nil
        case .connecting(let name), .linkUp(let name, _), .linkFailed(let name, _), .taskStarted(let name, _),
             .taskFinished(let name, _, _):
            name
        }
    }
}
