import ArgumentParser
import Foundation
import RhizomeController
import RhizomeInventory
import RhizomeSSH

extension HostKeyPolicy: ExpressibleByArgument {}
extension ConnectionSpec.ViaMode: ExpressibleByArgument {}

/// How links are opened: shared by every command that reaches hosts.
struct ConnectionOptions: ParsableArguments {
    // Numeric options take their value unconditionally, so that `--forks -1`
    // reaches validate() and is refused with a reason, not as a missing value.
    @Option(name: [.customShort("f"), .long], parsing: .unconditional, help: "Links brought up in parallel (at least 1).")
    var forks: Int = 16

    @Option(name: [.short, .long], help: "Remote user, unless the inventory names one.")
    var user: String?

    @Option(name: .customLong("private-key"), help: "Identity file, unless the inventory names one.")
    var privateKey: [String] = []

    @Option(name: .customLong("known-hosts"), help: "known_hosts file, unless the inventory names one (default ~/.ssh/known_hosts).")
    var knownHosts: String?

    @Option(name: .customLong("host-key-checking"),
            help: "strict, accept-new or off. Overrides the inventory. Default: the inventory's choice, else strict.")
    var hostKeyChecking: HostKeyPolicy?

    @Option(name: [.customShort("T"), .customLong("timeout")], parsing: .unconditional, help: "Seconds for each TCP connect, unless the inventory sets one (at most 86400).")
    var connectTimeout: Double = 10

    @Option(name: .customLong("via-mode"),
            help: "How hosts behind a bastion are reached: relay (an agent on the bastion, the default) or tunnel (like ProxyJump). Overrides rhizome_via_mode.")
    var viaMode: ConnectionSpec.ViaMode?

    @Option(name: .customLong("cache-size"), help: "Bytes of payloads each agent keeps in memory (default 256 MiB).")
    var cacheSize: UInt64 = 256 << 20

    @Option(name: .customLong("target-cache"),
            help: "Keep the agent and payloads in DIR on every target between runs, over any rhizome_target_cache (default: the inventory's, else leave nothing behind).")
    var targetCache: String?

    @Option(name: .customLong("target-cache-size"),
            help: "Bytes the target cache may hold per host, over any rhizome_target_cache_size (default: the inventory's, else 1 GiB).")
    var targetCacheSize: UInt64?

    @Option(name: .customLong("operation-timeout"), parsing: .unconditional, help: "Seconds for each SSH step after connecting (key exchange, auth, bootstrap; at most 86400).")
    var operationTimeout: Double = 30

    @Option(name: .customLong("keepalive"), parsing: .unconditional,
            help: "Seconds between pings on every link; a link silent for three times as long is dead (1 to 3600).")
    var keepalive: Int = 5

    func validate() throws {
        guard (1 ... 3600).contains(keepalive) else {
            throw ValidationError("--keepalive must be whole seconds from 1 to 3600; got \(keepalive)")
        }
        if let targetCache, !targetCache.hasPrefix("/") {
            throw ValidationError("--target-cache needs an absolute path on the targets, got '\(targetCache)'")
        }
        guard forks >= 1 else {
            throw ValidationError("--forks must be at least 1 (the number of links set up at once); got \(forks)")
        }
        try DurationOption.check(connectTimeout, option: "-T/--timeout", maximum: DurationOption.maximumLinkTimeout)
        try DurationOption.check(operationTimeout, option: "--operation-timeout", maximum: DurationOption.maximumLinkTimeout)
    }

    func controllerOptions() -> ControllerOptions {
        var options = ControllerOptions()
        options.forks = forks
        options.user = user
        options.identityFiles = privateKey
        options.knownHostsFile = knownHosts
        options.policyOverride = hostKeyChecking
        options.connectTimeout = connectTimeout
        options.operationTimeout = operationTimeout
        options.keepaliveInterval = keepalive
        options.passphrase = PassphrasePrompt.ask
        options.viaModeOverride = viaMode
        options.payloadCacheBytes = cacheSize
        options.targetCache = targetCache
        options.targetCacheBytes = targetCacheSize
        return options
    }
}

/// Signers for hops behind relays: the inventory's identity files in a private
/// ssh-agent, plus the user's ssh-agent.
enum SignerSetup {
    static let factory: SignerFactory = { files in
        try KeySigner.start(identityFiles: files, useUserAgent: true, passphrase: PassphrasePrompt.ask)
    }
}

/// Passphrases for encrypted keys: `$RHIZOME_SSH_PASSPHRASE`, else a prompt on
/// the terminal. Asked once per key file per run.
enum PassphrasePrompt {
    private static let cache = LockedCache()

    @Sendable static func ask(_ path: String) -> String? {
        if let value = ProcessInfo.processInfo.environment["RHIZOME_SSH_PASSPHRASE"] { return value }
        return cache.value(for: path) {
            guard isatty(STDIN_FILENO) == 1, let raw = getpass("Enter passphrase for \(path): ") else { return nil }
            return String(cString: raw)
        }
    }

    private final class LockedCache: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: String?] = [:]
        func value(for key: String, _ make: () -> String?) -> String? {
            lock.lock()
            defer { lock.unlock() }
            if let cached = values[key] { return cached }
            let made = make()
            values[key] = made
            return made
        }
    }
}
