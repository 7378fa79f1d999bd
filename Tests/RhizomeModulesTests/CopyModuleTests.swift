#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeModules
import RhizomeStore
import RhizomeWire
import Testing

/// Serves one payload from memory, as an agent's payload store would.
final class MemoryPayloads: PayloadFetcher {
    let content: [UInt8]
    init(_ content: [UInt8]) { self.content = content }

    func fetchPayload(_ digest: [UInt8], receive: @escaping ([UInt8]) -> Void, finished: @escaping (String?) -> Void) {
        receive(content)
        finished(nil)
    }
}

/// The file modes and directories `copy` leaves, which must be Ansible's.
/// Serialized: the umask is the process's.
@Suite(.serialized) struct CopyModuleTests {
    /// Runs `copy` of `content` to `dest` as the controller would send it.
    func copy(_ content: String, to dest: String, basename: String = "source.txt", mode: String? = nil,
              umask loginUmask: String? = nil) throws -> TaskResult {
        let bytes = Array(content.utf8)
        var arguments: [(String, WireValue)] = [
            ("dest", .string(dest)), ("_digest", .string(Digest.sha256(bytes).hex)),
            ("_size", .int(Int64(bytes.count))), ("_basename", .string(basename)),
        ]
        if let mode { arguments.append(("mode", .string(mode))) }
        if let loginUmask { setenv("RHIZOME_UMASK", loginUmask, 1) } else { unsetenv("RHIZOME_UMASK") }
        defer { unsetenv("RHIZOME_UMASK") }
        let loop = try EventLoop()
        let sink = RecordingSink(loop: loop)
        let task = BuiltinModules.start(RunTask(module: "copy", arguments: .map(arguments)), loop: loop, sink: sink,
                                        baseEnvironment: testEnvironment, context: ModuleContext(payloads: MemoryPayloads(bytes)))
        if sink.results.isEmpty { runBounded(loop, limit: 10) }
        withExtendedLifetime(task) {}
        return try #require(sink.result)
    }

    func permissions(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o7777
    }

    /// Runs `body` with the process umask set to `mask`, as an agent's would be.
    func withUmask<R>(_ mask: mode_t, _ body: () throws -> R) rethrows -> R {
        let old = umask(mask)
        defer { umask(old) }
        return try body()
    }

    @Test("a dest ending in / is a directory, created with its parents when missing")
    func createsDestinationDirectory() throws {
        try withTemporaryDirectory { dir in
            let result = try withUmask(0o022) { try copy("hello\n", to: dir + "/a/b/c/") }
            #expect(!result.failed, "\(result.message)")
            #expect(result.changed)
            #expect(readFile(dir + "/a/b/c/source.txt") == "hello\n")
            #expect(permissions(dir + "/a") == 0o755)
            #expect(permissions(dir + "/a/b/c") == 0o755)
            #expect(result.data["dest"]?.stringValue == dir + "/a/b/c/source.txt")
        }
    }

    @Test("created directories follow the login umask, not the agent's 077")
    func directoriesFollowTheLoginUmask() throws {
        try withTemporaryDirectory { dir in
            let result = try withUmask(0o077) { try copy("x", to: dir + "/new/", umask: "0027") }
            #expect(!result.failed, "\(result.message)")
            #expect(permissions(dir + "/new") == 0o750)
            #expect(permissions(dir + "/new/source.txt") == 0o640)
        }
    }

    @Test("any other dest needs its directory to exist, with Ansible's message")
    func missingParentFails() throws {
        try withTemporaryDirectory { dir in
            let result = try copy("x", to: dir + "/missing/file.txt")
            #expect(result.failed)
            #expect(result.message == "Destination directory \(dir)/missing does not exist")
            #expect(!fileExists(dir + "/missing"))
        }
    }

    @Test("a directory that cannot be written is named", .enabled(if: getuid() != 0, "root writes anywhere"))
    func unwritableParentFails() throws {
        try withTemporaryDirectory { dir in
            mkdir(dir + "/ro", 0o555)
            let result = try copy("x", to: dir + "/ro/file.txt")
            #expect(result.message == "Destination \(dir)/ro not writable")
            chmod(dir + "/ro", 0o755)
        }
    }

    @Test("a dest/ that runs into a file fails and says where")
    func directoryOverFile() throws {
        try withTemporaryDirectory { dir in
            try writeFile(dir + "/plain", "not a directory")
            let result = try copy("x", to: dir + "/plain/sub/")
            #expect(result.failed)
            #expect(result.message.contains("\(dir)/plain exists and is not a directory"))
        }
    }

    @Test("new files get 0666 less the login umask", arguments: [("0022", 0o644), ("0002", 0o664), ("0077", 0o600)] as [(String, mode_t)])
    func newFileMode(loginUmask: String, expected: mode_t) throws {
        try withTemporaryDirectory { dir in
            let result = try withUmask(0o077) { try copy("x", to: dir + "/f", umask: loginUmask) }
            #expect(!result.failed, "\(result.message)")
            #expect(permissions(dir + "/f") == expected)
            #expect(result.data["mode"]?.stringValue == "0" + String(expected, radix: 8))
        }
    }

    @Test("without RHIZOME_UMASK (a local agent) the process umask applies")
    func processUmask() throws {
        try withTemporaryDirectory { dir in
            let result = try withUmask(0o022) { try copy("x", to: dir + "/f") }
            #expect(!result.failed, "\(result.message)")
            #expect(permissions(dir + "/f") == 0o644)
        }
    }

    @Test("mode= wins for new files and replaced ones")
    func explicitMode() throws {
        try withTemporaryDirectory { dir in
            let created = try copy("x", to: dir + "/f", mode: "0640", umask: "0022")
            #expect(!created.failed)
            #expect(permissions(dir + "/f") == 0o640)
            let replaced = try copy("y", to: dir + "/f", mode: "0600", umask: "0022")
            #expect(!replaced.failed)
            #expect(permissions(dir + "/f") == 0o600)
            #expect(readFile(dir + "/f") == "y")
        }
    }

    @Test("a replaced file keeps its mode when none is given")
    func replacedFileKeepsItsMode() throws {
        try withTemporaryDirectory { dir in
            try writeFile(dir + "/f", "old", mode: 0o751)
            chmod(dir + "/f", 0o751)
            let result = try copy("new", to: dir + "/f", umask: "0022")
            #expect(!result.failed, "\(result.message)")
            #expect(result.changed)
            #expect(readFile(dir + "/f") == "new")
            #expect(permissions(dir + "/f") == 0o751)
        }
    }
}
