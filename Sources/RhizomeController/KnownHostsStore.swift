import Foundation
import RhizomeSSH
import Synchronization

/// known_hosts files used in a run: read once each, and appended to when
/// accept-new admits a host.
final class KnownHostsStore: Sendable {
    private let files = Mutex<[String: KnownHosts]>([:])

    /// The file's contents (empty when it does not exist yet).
    func load(_ path: String) -> KnownHosts {
        files.withLock { cache in
            if let cached = cache[path] { return cached }
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let hosts = KnownHosts(text: text, source: path)
            cache[path] = hosts
            return hosts
        }
    }

    /// Records an accepted key: in memory for the rest of the run, and in the file.
    func remember(_ line: String, in path: String) throws {
        try files.withLock { cache in
            var hosts = cache[path] ?? KnownHosts(lines: [], source: path)
            hosts.append(line)
            cache[path] = hosts
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((line + "\n").utf8))
        }
    }
}
