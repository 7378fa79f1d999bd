#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import Synchronization
@testable import RhizomeSSH
import Testing

/// An sshd of our own on 127.0.0.1, with fresh host keys, accepting the
/// current user with the client keys in its directory.
final class LoopbackSSHServer {
    let directory: String
    let port: Int
    let hostKeys: [String: HostKey]
    let user: String
    private let process: ChildProcess

    static let available = access("/usr/sbin/sshd", X_OK) == 0

    init(directory: String) throws {
        self.directory = directory
        var keys: [String: HostKey] = [:]
        for (name, options) in [("ed25519", "-t ed25519"), ("ecdsa", "-t ecdsa -b 256")] {
            try generateKey(at: "\(directory)/host_\(name)", options: options)
            let key = try publicKey(at: "\(directory)/host_\(name)")
            keys[key.type] = key
        }
        hostKeys = keys
        try generateKey(at: directory + "/client", options: "-t ed25519")
        try generateKey(at: directory + "/client_encrypted", options: "-t ecdsa -b 256", passphrase: "open sesame")
        try writeText(directory + "/authorized_keys",
                      try readText(directory + "/client.pub") + readText(directory + "/client_encrypted.pub"))
        guard let entry = getpwuid(getuid()) else { throw TestFailure("no passwd entry for uid \(getuid())") }
        user = String(cString: entry.pointee.pw_name)

        // A port the kernel just handed out is very likely still free; if sshd
        // cannot bind it after all, it exits and we try another.
        // sshd refuses to start without its privilege-separation directory,
        // which only an init system or the lab creates.
        mkdir("/run/sshd", 0o755)
        var started: (ChildProcess, Int)?
        for _ in 0 ..< 5 {
            let port = try Self.freePort()
            try writeText(directory + "/sshd_config", """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(directory)/host_ed25519
                HostKey \(directory)/host_ecdsa
                AuthorizedKeysFile \(directory)/authorized_keys
                StrictModes no
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PidFile none
                LogLevel INFO

                """)
            let child = try ChildProcess.spawn(arguments: ["/usr/sbin/sshd", "-D", "-e", "-f", directory + "/sshd_config"],
                                               environment: ["PATH=/usr/sbin:/usr/bin:/bin"])
            child.stdin?.close()
            if try Self.waitUntilListening(child) {
                started = (child, port)
                break
            }
            child.killGroup()
            _ = child.wait()
            child.stdout.close()
            child.stderr.close()
        }
        guard let started else { throw TestFailure("sshd did not start") }
        (process, port) = started
    }

    deinit {
        // Let sshd reap the processes of connections that just closed: once it
        // is gone, nobody would (init in a container may not).
        let children = "/proc/\(process.pid)/task/\(process.pid)/children"
        _ = waitUntil(limit: 2) { ((try? readText(children)) ?? "").allSatisfy { $0 == " " || $0 == "\n" } }
        process.killGroup()
        _ = process.wait()
        process.stdout.close()
        process.stderr.close()
    }

    /// Waits for sshd to say it listens (it logs after binding): false if it exits first.
    private static func waitUntilListening(_ child: ChildProcess) throws -> Bool {
        let deadline = Clock.seconds() + 10
        var log: [UInt8] = []
        while Clock.seconds() < deadline {
            var pfd = pollfd(fd: child.stderr.rawValue, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&pfd, 1, 100) > 0 else { continue }
            guard let chunk = try child.stderr.read(upTo: 4096), !chunk.isEmpty else { return false }
            log += chunk
            if String(decoding: log, as: UTF8.self).contains("Server listening on") { return true }
        }
        return false
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        guard rc == 0 else { throw TestFailure("bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func connect(preferring types: [String] = []) throws -> SSHSession {
        try SSHSession(host: "127.0.0.1", port: port, connectTimeout: 5, operationTimeout: 10, hostKeyTypes: types)
    }

    /// Runs `command` on an authenticated session: stdout, stderr, exit status.
    func run(_ command: String, on session: SSHSession) throws -> (stdout: String, stderr: String, status: Int32) {
        let channel = try session.exec(command)
        func drain(stderr: Bool) throws -> String {
            var bytes: [UInt8] = []
            while case .data(let chunk) = try channel.read(stderr: stderr) { bytes += chunk }
            return String(decoding: bytes, as: UTF8.self)
        }
        let out = try drain(stderr: false)
        let err = try drain(stderr: true)
        channel.close()
        return (out, err, channel.exitStatus)
    }
}

func withSSHServer(_ body: (LoopbackSSHServer) throws -> Void) throws {
    try withTemporaryDirectory { directory in
        let server = try LoopbackSSHServer(directory: directory)
        try withExtendedLifetime(server) { try body(server) }
    }
}

@Suite(.enabled(if: LoopbackSSHServer.available, "needs /usr/sbin/sshd"))
struct SSHLoopbackTests {
    @Test func hostKeyPreferenceDecidesWhichKeyTheServerShows() throws {
        try withSSHServer { server in
            // No RSA: libssh2 1.10 verifies RSA host keys only with SHA-1
            // signatures, which OpenSSH 8.8 and later no longer make.
            for type in ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-ed25519"] {
                let session = try server.connect(preferring: [type])
                let key = try session.hostKey()
                #expect(key.type == type)
                #expect(key == server.hostKeys[type], "preferring \(type)")
            }
        }
    }

    @Test func hostKeyVerdictsUnderEachPolicy() throws {
        try withSSHServer { server in
            let session = try server.connect(preferring: ["ssh-ed25519"])
            let key = try #require(server.hostKeys["ssh-ed25519"])
            let line = KnownHosts.line(host: "127.0.0.1", port: server.port, key: key)
            #expect(line.hasPrefix("[127.0.0.1]:\(server.port) ssh-ed25519 "))

            let known = KnownHosts(lines: [line], source: "test")
            for policy in HostKeyPolicy.allCases {
                #expect(try session.verifyHostKey(knownHosts: known, policy: policy) == .known)
            }

            let empty = KnownHosts(lines: [], source: "empty")
            #expect(try session.verifyHostKey(knownHosts: empty, policy: .acceptNew) == .accepted(line: line))
            let unknown = try #require(throws: SSHError.self) { try session.verifyHostKey(knownHosts: empty, policy: .strict) }
            #expect(unknown.code == .hostKeyUnknown)
            #expect(unknown.message.contains(key.fingerprint))
            guard case .unchecked(let warning) = try session.verifyHostKey(knownHosts: empty, policy: .off) else {
                Issue.record("policy off did not warn")
                return
            }
            #expect(warning.contains(key.fingerprint))

            let other = fakeKey("someone else")
            let wrong = KnownHosts(lines: [KnownHosts.line(host: "127.0.0.1", port: server.port, key: other)], source: "wrong")
            for policy in [HostKeyPolicy.strict, .acceptNew] {
                let mismatch = try #require(throws: SSHError.self) { try session.verifyHostKey(knownHosts: wrong, policy: policy) }
                #expect(mismatch.code == .hostKeyMismatch)
                #expect(mismatch.message.contains("wrong:1"))
            }
            guard case .unchecked = try session.verifyHostKey(knownHosts: wrong, policy: .off) else {
                Issue.record("policy off refused a mismatch")
                return
            }

            let revoked = KnownHosts(lines: [line, "@revoked * \(key.knownHostsText)"], source: "revoked")
            for policy in HostKeyPolicy.allCases {
                let refused = try #require(throws: SSHError.self) { try session.verifyHostKey(knownHosts: revoked, policy: policy) }
                #expect(refused.code == .hostKeyMismatch)
            }

            // Looked up under another name, as relays do for addresses they were handed.
            let named = KnownHosts(lines: [KnownHosts.line(host: "web.lab", port: server.port, key: key)], source: "named")
            #expect(try session.verifyHostKey(knownHosts: named, policy: .strict, name: HostKeyName(name: "web.lab")) == .known)
        }
    }

    @Test func keyFileAuthenticationAndACommand() throws {
        try withSSHServer { server in
            let session = try server.connect()
            try session.authenticate(user: server.user, methods: [
                .identityFile(path: server.directory + "/client", passphrase: { _ in nil }),
            ])
            let result = try server.run("echo out; echo err >&2; exit 3", on: session)
            #expect(result.stdout == "out\n")
            #expect(result.stderr == "err\n")
            #expect(result.status == 3)
        }
    }

    @Test func encryptedKeyAsksForItsPassphrase() throws {
        try withSSHServer { server in
            let asked = Locked<[String]>([])
            let session = try server.connect()
            let path = server.directory + "/client_encrypted"
            try session.authenticate(user: server.user, methods: [
                .identityFile(path: path, passphrase: { asked.append($0); return "open sesame" }),
            ])
            #expect(asked.value == [path])
            #expect(try server.run("echo ok", on: session).stdout == "ok\n")
        }
    }

    @Test func wrongPassphraseOrUnknownKeyFailsAuthentication() throws {
        try withSSHServer { server in
            let stranger = server.directory + "/stranger"
            try generateKey(at: stranger, options: "-t ed25519")
            let attempts: [[AuthMethod]] = [
                [.identityFile(path: server.directory + "/client_encrypted", passphrase: { _ in "wrong" })],
                [.identityFile(path: server.directory + "/client_encrypted", passphrase: { _ in nil })],
                [.identityFile(path: stranger, passphrase: { _ in nil })],
                [.identityFile(path: server.directory + "/missing", passphrase: { _ in nil })],
                [.password("not accepted here")],
                [],
            ]
            for methods in attempts {
                let session = try server.connect()
                let error = try #require(throws: SSHError.self) { try session.authenticate(user: server.user, methods: methods) }
                #expect(error.code == .authentication)
                #expect(error.endpoint == "\(server.user)@127.0.0.1:\(server.port)")
            }
        }
    }

    @Test func laterMethodsAreTriedWhenEarlierOnesFail() throws {
        try withSSHServer { server in
            let session = try server.connect()
            try session.authenticate(user: server.user, methods: [
                .identityFile(path: server.directory + "/missing", passphrase: { _ in nil }),
                .password("not accepted here"),
                .identityFile(path: server.directory + "/client", passphrase: { _ in nil }),
            ])
            #expect(try server.run("echo ok", on: session).status == 0)
        }
    }

    @Test func nobodyListeningIsARefusedConnection() throws {
        let port = try LoopbackSSHServer.freePort()  // bound and closed again: nothing listens
        let error = try #require(throws: SSHError.self) {
            try SSHSession(host: "127.0.0.1", port: port, connectTimeout: 5)
        }
        #expect(error.code == .refused)
        #expect(error.endpoint == "127.0.0.1:\(port)")
    }
}

/// A value shared with closures that must be Sendable.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func append<Element: Sendable>(_ element: Element) where Value == [Element] {
        mutex.withLock { $0.append(element) }
    }
}
