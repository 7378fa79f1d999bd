#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeSSH
import RhizomeStore
import RhizomeWire

/// Brings up children for a relay: each on a thread of its own (libssh2
/// blocks), with this node's own image, and with signatures asked of the
/// controller through `sign`.
public enum ChildSpawner {
    /// What a finished spawn hands back to the loop.
    public enum Outcome {
        case up(EstablishedLink)
        case failed(phase: String, reason: String, cause: LinkFailureCause)
    }

    /// Runs the spawn on a new thread; `completion` runs on that thread.
    public static func spawn(
        _ request: SpawnChild,
        parent: NodeID,
        image: AgentImage,
        cache: TargetCacheSettings? = nil,
        sign: @escaping @Sendable (_ publicKey: [UInt8], _ data: [UInt8]) throws -> [UInt8],
        completion: @escaping @Sendable (Transferable<Outcome>) -> Void
    ) {
        OSThread.detach(name: "rhizome-spawn") {
            let policy: HostKeyPolicy = request.hostKeyPolicy == 0 ? .strict : (request.hostKeyPolicy == 1 ? .acceptNew : .off)
            var methods: [AuthMethod] = []
            for (index, key) in request.publicKeys.enumerated() {
                let label = index < request.publicKeyLabels.count ? request.publicKeyLabels[index] : "key \(index + 1)"
                methods.append(.signer(PublicKeySigner(blob: key, label: label) { data in try sign(key, data) }))
            }
            if let password = request.password { methods.append(.password(password)) }
            // The name is resolved here, on the relay, with the relay's files: the
            // controller may not know it at all (split-horizon DNS, the relay's /etc/hosts).
            let target = LinkTarget(name: request.name, address: request.address, port: Int(request.port), user: request.user,
                                    connectTimeout: request.connectTimeout, operationTimeout: request.operationTimeout,
                                    hostKeyAlias: request.hostKeyAlias, checkHostIP: request.checkHostIP,
                                    lookup: .files())
            let welcome = Welcome(node: request.node, parent: parent, keepaliveInterval: request.keepaliveInterval,
                                  payloadCacheBytes: request.payloadCacheBytes)
            do throws(LinkSetupError) {
                let link = try LinkSetup.establish(
                    target: target,
                    knownHosts: KnownHosts(lines: request.knownHostsLines, numbers: request.knownHostsLineNumbers.map { Int($0) },
                                           source: request.knownHostsSource),
                    policy: policy, authentication: methods,
                    bootstrap: AgentBootstrap(image: image, welcome: welcome, cache: cache))
                completion(Transferable(.up(link)))
            } catch {
                completion(Transferable(.failed(phase: error.phase.rawValue, reason: error.message, cause: error.cause)))
            }
        }
    }
}

/// Moves a value to another thread when ownership is handed over whole
/// (a session built on one thread, then used only by the loop).
public struct Transferable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// A one-shot rendezvous between a blocked thread and the event loop.
public final class Rendezvous<Value>: @unchecked Sendable {
    private var semaphore = sem_t()
    private var value: Value?

    public init() {
        sem_init(&semaphore, 0, 0)
    }

    deinit {
        sem_destroy(&semaphore)
    }

    /// Called once, from any thread.
    public func fulfil(_ value: Value) {
        self.value = value
        sem_post(&semaphore)
    }

    /// Blocks until fulfilled or `timeout` seconds pass.
    public func wait(timeout: Double) -> Value? {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanos = Int(deadline.tv_nsec) + Int((timeout - timeout.rounded(.down)) * 1e9)
        deadline.tv_sec += Int(timeout.rounded(.down)) + nanos / 1_000_000_000
        deadline.tv_nsec = nanos % 1_000_000_000
        while sem_timedwait(&semaphore, &deadline) != 0 {
            if errno != EINTR { return nil }
        }
        return value
    }
}
