import RhizomeWire
import RhizomeMesh

/// A host whose agent could not be brought up or was lost.
public struct HostUnreachable: Error, Sendable, CustomStringConvertible {
    public var host: String
    public var reason: String
    /// The hop whose link failed: `host` itself, or a hop in front of it.
    public var hop: String
    public var cause: LinkFailureCause

    public init(host: String, reason: String, hop: String? = nil, cause: LinkFailureCause = .other) {
        self.host = host
        self.reason = reason
        self.hop = hop ?? host
        self.cause = cause
    }

    /// `host`'s failure seen from a node behind it: the same hop and cause.
    func seen(from behind: String) -> HostUnreachable {
        HostUnreachable(host: behind, reason: reason.hasPrefix("through ") ? reason : "through \(host): \(reason)",
                        hop: hop, cause: cause)
    }
    public var description: String { "\(host): \(reason)" }
}

/// How one task ended on one host.
public struct TaskOutcome: Sendable {
    public enum Status: String, Sendable {
        case ok = "SUCCESS"
        case changed = "CHANGED"
        case failed = "FAILED"
        case unreachable = "UNREACHABLE"
    }

    public var host: String
    public var status: Status
    /// The agent's result; nil when the host was unreachable.
    public var result: TaskResult?
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Why the host is unreachable or the task could not run.
    public var message: String
    /// Seconds from dispatch to result, as seen by the controller.
    public var elapsed: Double

    public init(host: String, status: Status, result: TaskResult? = nil, stdout: [UInt8] = [], stderr: [UInt8] = [],
                message: String = "", elapsed: Double = 0) {
        self.host = host
        self.status = status
        self.result = result
        self.stdout = stdout
        self.stderr = stderr
        self.message = message
        self.elapsed = elapsed
    }

    public init(_ unreachable: HostUnreachable) {
        self.init(host: unreachable.host, status: .unreachable, message: unreachable.reason)
    }

    /// An unreachable host.
    public static func unreachable(_ host: String, _ message: String) -> TaskOutcome {
        TaskOutcome(host: host, status: .unreachable, message: message)
    }

    /// The result as Ansible's ad-hoc JSON shows it.
    public var resultValue: WireValue {
        var pairs: [(String, WireValue)] = []
        if status == .unreachable {
            pairs = [("changed", false), ("msg", .string(message)), ("unreachable", true)]
            return .map(pairs)
        }
        guard let result else { return .map([("failed", true), ("msg", .string(message))]) }
        pairs.append(("changed", .bool(result.changed)))
        if let rc = result.rc { pairs.append(("rc", .int(Int64(rc)))) }
        if case .map(let data) = result.data { pairs.append(contentsOf: data) }
        if result.failed { pairs.append(("failed", true)) }
        if !result.message.isEmpty { pairs.append(("msg", .string(result.message))) }
        return .map(pairs)
    }
}
