#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeStore

/// An on-disk, content-addressed cache on a target (`--target-cache DIR`): the
/// agent binary (`agent-<sha256>`, kept by the bootstrap stage) and payloads
/// (`payload-<sha256>`).
///
/// The trade-off: the default leaves nothing on targets; a cache makes later
/// runs skip the agent upload and payloads already there, at the price of
/// files that stay on the host. Every entry is checked against its SHA-256
/// before use (a corrupt one is removed), entries are written to a temporary
/// name and renamed into place (two runs racing write the same bytes under the
/// same name), and the oldest entries are evicted beyond the size limit.
public final class TargetCache {
    public let directory: String
    public let limit: UInt64

    public init(directory: String, limit: UInt64) {
        self.directory = directory
        self.limit = limit
        mkdir(directory, 0o700)
    }

    func path(_ digest: Digest) -> String { "\(directory)/payload-\(digest.hex)" }

    /// The payload's bytes, if cached and intact.
    public func load(_ digest: Digest) -> [UInt8]? {
        let file = path(digest)
        guard let bytes = FileDescriptor.contents(ofFile: file) else { return nil }
        guard Digest.sha256(bytes) == digest else {
            unlink(file)
            return nil
        }
        utime(file, nil)  // recently used: evicted last
        return bytes
    }

    /// Keeps a verified payload; then trims the cache to its limit.
    public func store(_ digest: Digest, _ bytes: [UInt8]) {
        guard UInt64(bytes.count) <= limit else { return }
        let final = path(digest)
        let temporary = "\(directory)/.payload-\(digest.hex).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var offset = 0
        var ok = true
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                ok = false
                break
            }
            offset += n
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        if ok && rename(temporary, final) == 0 {
            evict()
        } else {
            unlink(temporary)
        }
    }

    /// Removes the least recently used entries until the cache fits its limit.
    public func evict() {
        guard let handle = opendir(directory) else { return }
        var entries: [(name: String, size: UInt64, used: Int)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("agent-") || name.hasPrefix("payload-") else { continue }
            var info = stat()
            guard stat("\(directory)/\(name)", &info) == 0 else { continue }
            entries.append((name, UInt64(info.st_size), Int(info.st_mtim.tv_sec)))
        }
        closedir(handle)
        var total = entries.reduce(UInt64(0)) { $0 + $1.size }
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > limit {
            unlink("\(directory)/\(entry.name)")
            total -= entry.size
        }
    }
}
