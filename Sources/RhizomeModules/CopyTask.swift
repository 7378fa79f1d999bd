#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeStore
import RhizomeWire

/// The `copy` module: writes a payload to `dest` atomically (temporary file in
/// the same directory, fsync, rename), or leaves `dest` alone when it already
/// has the same SHA-256, in which case no content is fetched at all.
///
/// The controller replaces `src` (or `content`) with `_digest`, `_size` and
/// `_basename` before the task leaves it.
///
/// As Ansible's copy: a `dest` ending in `/` is a directory, created with its
/// missing parents when a file is copied into it; any other `dest` needs its
/// parent directory to exist. New files get `mode`, else 0666 less the login
/// umask; a file that is replaced keeps its mode unless `mode` is given.
final class CopyTask: RunningTask {
    private let loop: EventLoop
    private weak var sink: (any TaskSink)?
    private let arguments: WireValue
    private let context: ModuleContext
    private var temporary: String?
    private var descriptor: CInt = -1
    private var hasher = SHA256Stream()
    private var written: UInt64 = 0
    private var failure: String?
    private var finished = false
    private let startTime = Clock.wallNanos()

    // Resolved at start.
    private var destination = ""
    private var digest: Digest?
    private var size: UInt64 = 0
    private var mode: mode_t?
    private var owner: uid_t?
    private var group: gid_t?

    init(loop: EventLoop, sink: any TaskSink, arguments: WireValue, context: ModuleContext) {
        self.loop = loop
        self.sink = sink
        self.arguments = arguments
        self.context = context
    }

    func start() {
        guard let dest = arguments["dest"]?.stringValue, !dest.isEmpty else { return fail("dest is required") }
        guard let hex = arguments["_digest"]?.stringValue, let digest = Digest(hex: hex),
              let size = arguments["_size"]?.intValue, size >= 0 else {
            return fail("copy needs src= or content= (the controller sends the file's digest)")
        }
        self.digest = digest
        self.size = UInt64(size)
        if let text = arguments["mode"]?.stringValue, !text.isEmpty {
            guard let parsed = mode_t(text.hasPrefix("0o") ? String(text.dropFirst(2)) : text, radix: 8), parsed <= 0o7777 else {
                return fail("mode must be octal, like 0644; got \(text)")
            }
            mode = parsed
        }
        if let name = arguments["owner"]?.stringValue, !name.isEmpty {
            guard let uid = Self.userID(name) else { return fail("unknown owner \(name)") }
            owner = uid
        }
        if let name = arguments["group"]?.stringValue, !name.isEmpty {
            guard let gid = Self.groupID(name) else { return fail("unknown group \(name)") }
            group = gid
        }

        var info = stat()
        var target = dest
        if dest.hasSuffix("/") || (stat(dest, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR) {
            let base = arguments["_basename"]?.stringValue ?? ""
            guard !base.isEmpty else { return fail("dest \(dest) is a directory and the source has no file name") }
            target = (dest.hasSuffix("/") ? dest : dest + "/") + base
            destination = target
            if dest.hasSuffix("/") {
                if case .failure(let failure) = Self.makeDirectories(String(dest.dropLast()), mode: 0o777 & ~Self.loginUmask()) {
                    return fail(failure.message + "; could not copy to \(target)")
                }
            }
        }
        destination = target
        let parent = Self.parentDirectory(of: target)

        var existing = stat()
        if stat(target, &existing) == 0 {
            guard (existing.st_mode & S_IFMT) == S_IFREG else { return fail("dest \(target) exists and is not a regular file") }
            if arguments["force"]?.boolValue == false { return succeed(changed: false, info: existing) }
            if UInt64(existing.st_size) == self.size, Digest.sha256(ofFile: target) == digest {
                // Same content: only the attributes may need changing; nothing is fetched.
                let changed = applyAttributes(path: target, current: existing)
                var after = stat()
                _ = stat(target, &after)
                return succeed(changed: changed, info: after)
            }
        } else {
            // Ansible's words, so that scripts matching them keep working.
            var parentInfo = stat()
            if stat(parent, &parentInfo) != 0 {
                if errno == EACCES { return fail("Destination directory \(parent) is not accessible") }
                return fail("Destination directory \(parent) does not exist")
            }
            guard (parentInfo.st_mode & S_IFMT) == S_IFDIR else { return fail("Destination directory \(parent) is not a directory") }
        }
        if access(parent, W_OK) != 0 { return fail("Destination \(parent) not writable") }
        guard let payloads = context.payloads else { return fail("this agent has no payload store") }

        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[..<$0]) } ?? "."
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        let temporary = (directory.isEmpty ? "" : directory) + "/.\(name).rhizome-\(getpid())-\(Clock.monotonicNanos() % 1_000_000).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            return fail("cannot create a temporary file in \(directory.isEmpty ? "/" : directory): \(String(cString: strerror(errno)))")
        }
        self.temporary = temporary
        self.descriptor = fd
        payloads.fetchPayload(digest.bytes, receive: { [weak self] bytes in
            self?.write(bytes)
        }, finished: { [weak self] error in
            self?.fetched(error: error)
        })
    }

    func cancel(reason: String) {
        guard !finished else { return }
        fail(reason)
    }

    func resume() {}

    private func write(_ bytes: [UInt8]) {
        guard failure == nil, descriptor >= 0 else { return }
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = "writing \(temporary ?? destination) failed: \(String(cString: strerror(errno)))"
                return
            }
            offset += n
        }
        written += UInt64(bytes.count)
    }

    private func fetched(error: String?) {
        guard !finished else { return }
        if let error { return fail("cannot fetch the file: \(error)") }
        if let failure { return fail(failure) }
        guard let digest, let temporary else { return fail("internal: no transfer") }
        guard written == size, hasher.finalize() == digest else {
            return fail("the file arrived corrupted (SHA-256 or size mismatch); \(destination) left unchanged")
        }
        guard fsync(descriptor) == 0 else { return fail("fsync of \(temporary) failed: \(String(cString: strerror(errno)))") }
        var existing = stat()
        let exists = stat(destination, &existing) == 0
        // Keep the old file's mode and ownership unless told otherwise, as Ansible does.
        let newMode: mode_t = mode ?? (exists ? existing.st_mode & 0o7777 : 0o666 & ~Self.loginUmask())
        guard fchmod(descriptor, newMode) == 0 else { return fail("chmod failed: \(String(cString: strerror(errno)))") }
        let uid = owner ?? (exists ? existing.st_uid : uid_t.max)
        let gid = group ?? (exists ? existing.st_gid : gid_t.max)
        if uid != uid_t.max || gid != gid_t.max {
            guard fchown(descriptor, uid, gid) == 0 else { return fail("chown failed: \(String(cString: strerror(errno)))") }
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporary, destination) == 0 else {
            return fail("cannot move the file into place at \(destination): \(String(cString: strerror(errno)))")
        }
        self.temporary = nil
        let directory = destination.lastIndex(of: "/").map { String(destination[..<$0]) } ?? "."
        let dirfd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
        var after = stat()
        _ = stat(destination, &after)
        succeed(changed: true, info: after)
    }

    /// Sets mode and ownership when they differ; true if anything changed.
    private func applyAttributes(path: String, current: stat) -> Bool {
        var changed = false
        if let mode, current.st_mode & 0o7777 != mode {
            if chmod(path, mode) == 0 { changed = true }
        }
        let uid = owner ?? current.st_uid
        let gid = group ?? current.st_gid
        if uid != current.st_uid || gid != current.st_gid {
            if chown(path, uid, gid) == 0 { changed = true }
        }
        return changed
    }

    private func succeed(changed: Bool, info: stat) {
        finish(TaskResult(rc: 0, start: startTime, end: Clock.wallNanos(), changed: changed, data: .map([
            ("dest", .string(destination)),
            ("checksum", .string(digest?.hex ?? "")),
            ("size", .int(Int64(info.st_size))),
            ("mode", .string("0" + String(info.st_mode & 0o7777, radix: 8))),
            ("uid", .int(Int64(info.st_uid))),
            ("gid", .int(Int64(info.st_gid))),
        ])))
    }

    private func fail(_ message: String) {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if let temporary {
            unlink(temporary)
            self.temporary = nil
        }
        finish(TaskResult(start: startTime, end: Clock.wallNanos(), failed: true, message: message,
                          data: destination.isEmpty ? .map([]) : .map([("dest", .string(destination))])))
    }

    private func finish(_ result: TaskResult) {
        guard !finished else { return }
        finished = true
        sink?.taskFinished(result)
    }

    static func currentUmask() -> mode_t {
        let old = umask(0o022)
        umask(old)
        return old
    }

    /// The umask of the login the agent was started from. The bootstrap stage
    /// sets 077 for the agent's own files and leaves the one it found in
    /// `RHIZOME_UMASK`; an agent started otherwise (a local one) has its own.
    static func loginUmask() -> mode_t {
        if let text = getenv("RHIZOME_UMASK").map({ String(cString: $0) }), let value = mode_t(text, radix: 8), value <= 0o777 {
            return value
        }
        return currentUmask()
    }

    /// The directory `path` is in: `.` for a bare name, `/` for a top-level one.
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// `mkdir -p path`, each new directory getting `mode` whatever the agent's
    /// own umask: true when something was created, else the reason it could not be.
    static func makeDirectories(_ path: String, mode: mode_t) -> Result<Bool, Failure> {
        var info = stat()
        if path.isEmpty || stat(path, &info) == 0 {
            guard path.isEmpty || (info.st_mode & S_IFMT) == S_IFDIR else {
                return .failure(Failure("\(path) exists and is not a directory"))
            }
            return .success(false)
        }
        let parent = parentDirectory(of: path)
        if parent != path, parent != ".", parent != "/" {
            if case .failure(let failure) = makeDirectories(parent, mode: mode) { return .failure(failure) }
        }
        guard mkdir(path, mode) == 0 else {
            if errno == EEXIST { return .success(false) }
            return .failure(Failure("cannot create the directory \(path): \(String(cString: strerror(errno)))"))
        }
        _ = chmod(path, mode)
        return .success(true)
    }

    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func userID(_ name: String) -> uid_t? {
        if let id = uid_t(name) { return id }
        return lookup(file: "/etc/passwd", name: name).map { uid_t($0) }
    }

    static func groupID(_ name: String) -> gid_t? {
        if let id = gid_t(name) { return id }
        return lookup(file: "/etc/group", name: name).map { gid_t($0) }
    }

    /// Reads `name:x:ID:` from passwd/group files (static binaries have no NSS).
    private static func lookup(file: String, name: String) -> UInt32? {
        guard let data = FileDescriptor.contents(ofFile: file) else { return nil }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard fields.count > 2, String(decoding: fields[0], as: UTF8.self) == name else { continue }
            return UInt32(String(decoding: fields[2], as: UTF8.self))
        }
        return nil
    }
}
