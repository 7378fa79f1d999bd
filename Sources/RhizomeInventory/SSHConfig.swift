import Foundation

/// The parts of an OpenSSH client configuration that decide how to reach a host.
struct SSHConfig: Sendable {
    /// The settings that apply to one host.
    struct Settings: Sendable {
        var hostName: String?
        var user: String?
        var port: Int?
        var identityFiles: [String] = []
        var proxyJump: String?
        var proxyCommand: String?
        var userKnownHostsFile: String?
        var strictHostKeyChecking: String?
        var connectTimeout: Double?
        /// Where each setting came from.
        var origins: [String: SourceLocation] = [:]
    }

    static func load(path: String?) throws -> SSHConfig? {
        nil
    }

    func settings(for host: String, user: String?) -> Settings {
        Settings()
    }
}

extension SSHConfig {
    /// Whether a `Host` line names this host literally (no wildcards), making it a known alias.
    func hasExplicitHost(_ host: String) -> Bool { false }
}
