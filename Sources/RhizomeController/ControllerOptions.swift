import RhizomeInventory
import RhizomeMesh
import RhizomeSSH

/// Settings of a controller run that are not per host.
public struct ControllerOptions: Sendable {
    /// Links brought up in parallel.
    public var forks: Int = 16
    /// Told of each link as it is set up, succeeds or fails (a live view listens here).
    /// Called on any thread; keep it short.
    public var linkEvents: (@Sendable (LinkEvent) -> Void)?
    /// Seconds for a TCP connect, unless the host sets its own.
    public var connectTimeout: Double = 10
    /// Seconds for each blocking SSH step (key exchange, auth, bootstrap).
    public var operationTimeout: Double = 30
    /// Host-key policy, unless the host sets its own. A command-line choice
    /// overrides the inventory (`policyOverride`).
    public var hostKeyPolicy: HostKeyPolicy = .strict
    public var policyOverride: HostKeyPolicy?
    /// known_hosts file, unless the host sets its own.
    public var knownHostsFile: String?
    /// User, unless the host sets its own.
    public var user: String?
    /// Identity files tried when the host names none.
    public var identityFiles: [String] = []
    /// Seconds between keepalives on every link (SSH keepalives and agent
    /// pings). A link silent for `Link.silentIntervalsBeforeDead` times this
    /// is declared dead at either end.
    public var keepaliveInterval: Int = 5
    /// Overrides every host's `rhizome_via_mode` (relay through agents, or tunnel like ProxyJump).
    public var viaModeOverride: ConnectionSpec.ViaMode?
    /// Keep the agent and payloads in this directory on every target between
    /// runs, whatever the inventory says (nil: the host's `rhizome_target_cache`,
    /// else nothing is left on targets).
    public var targetCache: String?
    /// Bytes the target cache may hold on each host, whatever the inventory
    /// says (nil: the host's `rhizome_target_cache_size`, else 1 GiB).
    public var targetCacheBytes: UInt64?
    /// The limit of a target cache that nothing sets.
    public static let defaultTargetCacheBytes: UInt64 = 1 << 30
    /// Bytes of payloads each agent may keep in memory.
    public var payloadCacheBytes: UInt64 = 256 << 20
    /// Answers passphrase requests for encrypted keys; nil if none can be given.
    public var passphrase: @Sendable (_ path: String) -> String? = { _ in nil }

    public init() {}

    /// The target cache of the host `spec` describes, with the command line
    /// over the inventory (Ansible's order): nil when neither asks for one.
    public func targetCache(for spec: ConnectionSpec) -> (directory: String, limit: UInt64)? {
        guard let directory = targetCache ?? spec.targetCache else { return nil }
        return (directory, targetCacheBytes ?? spec.targetCacheBytes ?? Self.defaultTargetCacheBytes)
    }
}

/// A link being set up, up, or failed: one per hop, in the order they happen.
public enum LinkEvent: Sendable {
    /// Set-up of the link to `host` has started (it holds one of its parent's --forks slots).
    case connecting(host: String)
    /// The link is up: an agent answers there, or, for a tunnel hop, the SSH session is open.
    case up(host: String, timings: LinkTimings)
    /// The link to `failure.hop` failed; nodes behind it will not be tried.
    case failed(HostUnreachable)
}
