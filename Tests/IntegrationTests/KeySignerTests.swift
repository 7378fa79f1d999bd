import Foundation
@testable import RhizomeController
import RhizomeSSH
import Testing

/// The controller's signer: identity files in a private ssh-agent, keys of the
/// user's agent, and signatures that real sshd servers in the demo lab accept.
@Suite("KeySigner", .serialized,
       .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-agent"),
                "needs root (the lab) and the OpenSSH client"))
struct KeySignerTests {
    /// The process environment without a user agent, so a developer's own keys do not show up.
    static var environmentWithoutAgent: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SSH_AUTH_SOCK"] = nil
        return environment
    }

    static let noPassphrase: @Sendable (String) -> String? = { _ in nil }

    @Test("an unencrypted ed25519 file is offered with the blob of its .pub file")
    func plainEd25519() throws {
        try Scratch.with { scratch in
            let key = try scratch.key("plain", type: "ed25519")
            let signer = try KeySigner.start(identityFiles: [key.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                             environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            #expect(signer.identities == [SignerIdentity(blob: key.blob, type: "ssh-ed25519", label: key.path)])
            #expect(Data(signer.identities[0].blob).base64EncodedString() == key.base64)
            #expect(signer.warnings.isEmpty)
        }
    }

    @Test("an encrypted ecdsa file is loaded with the passphrase the callback gives, asked once")
    func encryptedECDSA() throws {
        try Scratch.with { scratch in
            let plain = try scratch.key("plain", type: "ed25519")
            let encrypted = try scratch.key("encrypted", type: "ecdsa", passphrase: "correct horse")
            let asked = Asked()
            let signer = try KeySigner.start(identityFiles: [plain.path, encrypted.path], useUserAgent: false,
                                             passphrase: { path in asked.record(path); return "correct horse" },
                                             environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            #expect(asked.paths == [encrypted.path], "the passphrase is asked only for the encrypted file")
            #expect(signer.identities.map(\.label) == [plain.path, encrypted.path])
            #expect(signer.identities.map(\.type) == ["ssh-ed25519", "ecdsa-sha2-nistp256"])
            #expect(signer.identities.map(\.blob) == [plain.blob, encrypted.blob])
        }
    }

    @Test("a wrong passphrase is a clear error that names the file")
    func wrongPassphrase() throws {
        try Scratch.with { scratch in
            let encrypted = try scratch.key("encrypted", type: "ed25519", passphrase: "right one")
            let before = Scratch.signerDirectories()
            let error = try #require(throws: KeySignerError.self) {
                try KeySigner.start(identityFiles: [encrypted.path], useUserAgent: false, passphrase: { _ in "wrong one" },
                                    environment: Self.environmentWithoutAgent)
            }
            #expect(error.code == .wrongPassphrase)
            #expect(error.subject == encrypted.path)
            #expect("\(error)".contains(encrypted.path) && "\(error)".contains("wrong passphrase"), "\(error)")
            #expect(Scratch.signerDirectories().subtracting(before).isEmpty, "a failed start leaves no agent directory behind")
        }
    }

    @Test("an encrypted file without a passphrase, and an unusable file, are errors that name the file")
    func unusableFiles() throws {
        try Scratch.with { scratch in
            let encrypted = try scratch.key("encrypted", type: "ed25519", passphrase: "secret")
            let missing = try #require(throws: KeySignerError.self) {
                try KeySigner.start(identityFiles: [encrypted.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                    environment: Self.environmentWithoutAgent)
            }
            #expect(missing.code == .passphraseRequired && missing.subject == encrypted.path, "\(missing)")

            let absent = scratch.directory + "/absent"
            let notFound = try #require(throws: KeySignerError.self) {
                try KeySigner.start(identityFiles: [absent], useUserAgent: false, passphrase: Self.noPassphrase,
                                    environment: Self.environmentWithoutAgent)
            }
            #expect(notFound.code == .keyFileRejected && notFound.subject == absent, "\(notFound)")
            #expect(notFound.message.contains("No such file"), "\(notFound)")

            let loose = try scratch.key("loose", type: "ed25519")
            chmod(loose.path, 0o644)
            let tooOpen = try #require(throws: KeySignerError.self) {
                try KeySigner.start(identityFiles: [loose.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                    environment: Self.environmentWithoutAgent)
            }
            #expect(tooOpen.code == .keyFileRejected && tooOpen.message.contains("too open"), "\(tooOpen)")
            #expect(!tooOpen.message.contains("@@@"), "ssh-add's banner is dropped: \(tooOpen)")
        }
    }

    @Test("signatures from file keys authenticate real SSH sessions; a key the server does not know is refused")
    func authenticatesAgainstLab() throws {
        try Lab.ensureUp("demo")
        try Scratch.with { scratch in
            let ed25519 = try scratch.key("ed25519", type: "ed25519")
            let ecdsa = try scratch.key("ecdsa", type: "ecdsa", passphrase: "pass phrase")
            let stranger = try scratch.key("stranger", type: "ed25519")
            let signer = try KeySigner.start(identityFiles: [ed25519.path, ecdsa.path, stranger.path], useUserAgent: false,
                                             passphrase: { _ in "pass phrase" }, environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            try AuthorizedKeys.authorize([ed25519, ecdsa])
            defer { AuthorizedKeys.revoke([ed25519, ecdsa]) }
            for (identity, host) in zip(signer.identities.prefix(2), ["198.18.1.2", "198.18.1.3"]) {
                try LabSSH.authenticate(host: host, signer.publicKeySigner(for: identity))
            }
            let refused = try #require(throws: SSHError.self) {
                try LabSSH.authenticate(host: "198.18.1.4", signer.publicKeySigner(for: signer.identities[2]))
            }
            #expect(refused.code == .authentication && refused.message.contains(stranger.path), "\(refused)")
        }
    }

    @Test("the user's agent: its keys follow the file keys, carry their comments, and sign")
    func userAgent() throws {
        try Lab.ensureUp("demo")
        try Scratch.with { scratch in
            let file = try scratch.key("file", type: "ed25519")
            let held = try scratch.key("held", type: "ecdsa", comment: "held-by-user-agent")
            let shared = try scratch.key("shared", type: "ed25519")
            let userAgent = try UserAgent(socketPath: scratch.directory + "/user-agent.sock")
            defer { userAgent.stop() }
            try userAgent.add(held.path)
            try userAgent.add(shared.path)

            var environment = Self.environmentWithoutAgent
            environment["SSH_AUTH_SOCK"] = userAgent.socketPath
            let signer = try KeySigner.start(identityFiles: [file.path, shared.path], useUserAgent: true,
                                             passphrase: Self.noPassphrase, environment: environment)
            defer { signer.close() }
            // A key both in a file and in the user's agent is offered once, as the file.
            #expect(signer.identities.map(\.label) == [file.path, shared.path, "held-by-user-agent"])
            #expect(signer.identities.map(\.blob) == [file.blob, shared.blob, held.blob])
            #expect(signer.warnings.isEmpty)

            try AuthorizedKeys.authorize([held])
            defer { AuthorizedKeys.revoke([held]) }
            try LabSSH.authenticate(host: "198.18.1.5", signer.publicKeySigner(for: signer.identities[2]))

            let without = try KeySigner.start(identityFiles: [], useUserAgent: false, passphrase: Self.noPassphrase,
                                              environment: environment)
            #expect(without.identities.isEmpty, "useUserAgent: false ignores SSH_AUTH_SOCK")
            #expect(without.privateAgentPID == nil, "no identity file, no private agent")
        }
    }

    @Test("an unreachable SSH_AUTH_SOCK is a warning, not a failure")
    func unreachableUserAgent() throws {
        var environment = Self.environmentWithoutAgent
        environment["SSH_AUTH_SOCK"] = "/nonexistent/agent.sock"
        let signer = try KeySigner.start(identityFiles: [], useUserAgent: true, passphrase: Self.noPassphrase, environment: environment)
        #expect(signer.identities.isEmpty)
        #expect(signer.warnings.count == 1 && signer.warnings[0].contains("/nonexistent/agent.sock"), "\(signer.warnings)")
    }

    @Test("signing from many threads at once: ed25519 signatures of the same data are identical")
    func concurrentSigning() throws {
        try Scratch.with { scratch in
            let key = try scratch.key("plain", type: "ed25519")
            let signer = try KeySigner.start(identityFiles: [key.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                             environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            let data = Array("session identifier and userauth request".utf8)
            let results = Results()
            DispatchQueue.concurrentPerform(iterations: 32) { _ in
                results.append(Result { () throws(KeySignerError) in try signer.sign(blob: key.blob, data: data) })
            }
            let signatures = try results.all.map { try $0.get() }
            #expect(signatures.count == 32)
            #expect(Set(signatures).count == 1, "ed25519 is deterministic")
            var reader = AgentWireReader(try #require(signatures.first))
            #expect(String(decoding: try reader.string(), as: UTF8.self) == "ssh-ed25519")
            #expect(try reader.string().count == 64)
            #expect(reader.isAtEnd)
        }
    }

    @Test("a blob that is no identity is refused, naming its fingerprint")
    func unknownKey() throws {
        try Scratch.with { scratch in
            let key = try scratch.key("plain", type: "ed25519")
            let other = try scratch.key("other", type: "ed25519")
            let signer = try KeySigner.start(identityFiles: [key.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                             environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            let error = try #require(throws: KeySignerError.self) { try signer.sign(blob: other.blob, data: [1, 2, 3]) }
            #expect(error.code == .unknownKey)
            #expect(error.subject.hasPrefix("ssh-ed25519 SHA256:"), "\(error)")
        }
    }

    @Test("close() ends the private agent, removes its directory, and is idempotent")
    func closeEndsAgent() throws {
        try Scratch.with { scratch in
            let key = try scratch.key("plain", type: "ed25519")
            let signer = try KeySigner.start(identityFiles: [key.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                             environment: Self.environmentWithoutAgent)
            let pid = try #require(signer.privateAgentPID)
            let socket = try #require(signer.privateAgentSocket)
            #expect(kill(pid, 0) == 0, "the agent runs")
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            #expect(status.contains("Name:\tssh-agent"), "\(status)")
            let directory = (socket as NSString).deletingLastPathComponent
            #expect(try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int == 0o700)

            signer.close()
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "the agent is gone, reaped, not a zombie")
            #expect(!FileManager.default.fileExists(atPath: directory))
            signer.close()
            let error = try #require(throws: KeySignerError.self) { try signer.sign(blob: key.blob, data: [0]) }
            #expect(error.code == .closed && error.subject == key.path, "\(error)")
        }
    }

    @Test("an RSA key is offered once per RSA algorithm, its blob renamed, and each login is signed with its algorithm")
    func rsaOffers() throws {
        try Scratch.with { scratch in
            let rsa = try scratch.key("rsa", type: "rsa")
            let ed25519 = try scratch.key("ed25519", type: "ed25519")
            let signer = try KeySigner.start(identityFiles: [rsa.path, ed25519.path], useUserAgent: false,
                                             passphrase: Self.noPassphrase, environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            #expect(signer.rsaAlgorithms == KeySigner.defaultRSAAlgorithms)
            #expect(signer.offers.map(\.label) == ["\(rsa.path) (rsa-sha2-512)", "\(rsa.path) (rsa-sha2-256)", ed25519.path])
            #expect(signer.offers.map { PublicKeyBlob.type(of: $0.blob) } == ["rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"])
            #expect(signer.offers.map { PublicKeyBlob.renamed($0.blob, to: "ssh-rsa") }.prefix(2).allSatisfy { $0 == rsa.blob })
            for offer in signer.offers.prefix(2) {
                let signature = try signer.sign(blob: offer.blob, data: [1, 2, 3])
                #expect(PublicKeyBlob.type(of: signature) == PublicKeyBlob.type(of: offer.blob))
            }
            #expect(PublicKeyBlob.type(of: try signer.sign(blob: rsa.blob, data: [1, 2, 3])) == "ssh-rsa",
                    "the key's own blob asks for the key type's default")

            var environment = Self.environmentWithoutAgent
            environment[KeySigner.rsaAlgorithmsVariable] = "rsa-sha2-256, ssh-rsa"
            let chosen = try KeySigner.start(identityFiles: [rsa.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                             environment: environment)
            defer { chosen.close() }
            #expect(chosen.offers.map { PublicKeyBlob.type(of: $0.blob) } == ["rsa-sha2-256", "ssh-rsa"])

            environment[KeySigner.rsaAlgorithmsVariable] = "rsa-sha2-384"
            let error = try #require(throws: KeySignerError.self) {
                try KeySigner.start(identityFiles: [rsa.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                    environment: environment)
            }
            #expect(error.code == .invalidSetting && error.subject == "RHIZOME_RSA_ALGORITHMS", "\(error)")
        }
    }

    @Test("an encrypted file whose key the user's agent holds is signed for by that agent: no passphrase, no private agent")
    func encryptedFileHeldByUserAgent() throws {
        try Scratch.with { scratch in
            let encrypted = try scratch.key("encrypted", type: "ed25519", passphrase: "secret")
            let userAgent = try UserAgent(socketPath: scratch.directory + "/user-agent.sock")
            defer { userAgent.stop() }
            try userAgent.add(encrypted.path, passphrase: "secret")
            // Without its .pub: the public key is read from the OpenSSH file itself, in clear.
            try FileManager.default.removeItem(atPath: encrypted.path + ".pub")
            #expect(PublicKeyBlob.read(identityFile: encrypted.path) == encrypted.blob)

            var environment = Self.environmentWithoutAgent
            environment["SSH_AUTH_SOCK"] = userAgent.socketPath
            let asked = Asked()
            let signer = try KeySigner.start(identityFiles: [encrypted.path], useUserAgent: true,
                                             passphrase: { path in asked.record(path); return nil }, environment: environment)
            defer { signer.close() }
            #expect(asked.paths.isEmpty)
            #expect(signer.privateAgentPID == nil)
            #expect(signer.identities == [SignerIdentity(blob: encrypted.blob, type: "ssh-ed25519", label: encrypted.path)])
            _ = try signer.sign(blob: encrypted.blob, data: [7])
        }
    }

    @Test("a certificate next to a key file is offered before it, labelled with the certificate's file")
    func certificateLabel() throws {
        try Scratch.with { scratch in
            let ca = try scratch.key("ca", type: "ed25519")
            let key = try scratch.key("certified", type: "ecdsa")
            let signed = try Lab.run("/usr/bin/ssh-keygen", ["-q", "-s", ca.path, "-I", "test", "-n", "root", key.path + ".pub"])
            try #require(signed.status == 0, "\(signed.stderr)")
            let signer = try KeySigner.start(identityFiles: [key.path], useUserAgent: false, passphrase: Self.noPassphrase,
                                             environment: Self.environmentWithoutAgent)
            defer { signer.close() }
            #expect(signer.identities.map(\.label) == [key.path + "-cert.pub", key.path])
            #expect(signer.identities.map(\.type) == ["ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256"])
        }
    }

    @Test("dropping the signer without close() still ends the agent")
    func deinitEndsAgent() throws {
        try Scratch.with { scratch in
            let key = try scratch.key("plain", type: "ed25519")
            var signer: KeySigner? = try KeySigner.start(identityFiles: [key.path], useUserAgent: false,
                                                         passphrase: Self.noPassphrase, environment: Self.environmentWithoutAgent)
            let pid = try #require(signer?.privateAgentPID)
            #expect(kill(pid, 0) == 0)
            signer = nil
            #expect(kill(pid, 0) == -1 && errno == ESRCH)
        }
    }
}

/// The agent protocol's codec against replies real agents never send.
@Suite("KeySigner agent protocol")
struct KeySignerProtocolTests {
    static func string(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    @Test("a sign request is framed as `uint32 length, 13, string blob, string data, uint32 0`")
    func signRequestLayout() {
        let message = AgentProtocol.signRequestMessage(blob: [0xAA], data: [0xBB, 0xCC])
        #expect(message == [0, 0, 0, 16, 13] + Self.string([0xAA]) + Self.string([0xBB, 0xCC]) + [0, 0, 0, 0])
        #expect(AgentProtocol.requestIdentitiesMessage() == [0, 0, 0, 1, 11])
        // SSH_AGENT_RSA_SHA2_512 asks for an rsa-sha2-512 signature.
        #expect(AgentProtocol.signRequestMessage(blob: [0xAA], data: [], flags: AgentProtocol.rsaSHA2_512).suffix(4) == [0, 0, 0, 4])
    }

    @Test("well-formed replies decode")
    func goodReplies() throws {
        let blob = Self.string(Array("ssh-ed25519".utf8)) + Self.string([UInt8](repeating: 7, count: 32))
        let answer: [UInt8] = [12, 0, 0, 0, 1] + Self.string(blob) + Self.string(Array("me@host".utf8))
        #expect(try AgentProtocol.decodeReply(answer) == .identities([.init(blob: blob, comment: "me@host")]))
        let signature = Self.string(Array("ssh-ed25519".utf8)) + Self.string([UInt8](repeating: 1, count: 64))
        #expect(try AgentProtocol.decodeReply([14] + Self.string(signature)) == .signature(signature))
        #expect(try AgentProtocol.decodeReply([5]) == .failure)
    }

    @Test("malformed replies are errors", arguments: [
        [] as [UInt8],  // empty
        [12, 0, 0, 0, 1],  // one key announced, none sent
        [12, 0xFF, 0xFF, 0xFF, 0xFF],  // absurd key count
        [12, 0, 0, 0, 0, 9],  // stray byte
        [14, 0, 0, 0, 3, 1, 2, 3],  // signature not `string, string`
        [14, 0, 0, 0, 0],  // empty signature
        [6],  // SSH_AGENT_SUCCESS, not an answer to anything the signer asks
    ])
    func badReplies(body: [UInt8]) {
        #expect(throws: AgentProtocol.Malformed.self) { try AgentProtocol.decodeReply(body) }
    }

    @Test("a length over the limit, or zero, is refused before anything is read")
    func lengths() throws {
        #expect(throws: AgentProtocol.Malformed.self) { try AgentProtocol.bodyLength(header: [0, 4, 0, 1]) }
        #expect(throws: AgentProtocol.Malformed.self) { try AgentProtocol.bodyLength(header: [0, 0, 0, 0]) }
        #expect(try AgentProtocol.bodyLength(header: [0, 4, 0, 0]) == 256 * 1024)
    }
}

/// A 0700 directory of test keys, removed afterwards.
private struct Scratch {
    let directory: String

    struct Key {
        var path: String
        var blob: [UInt8]
        /// The base64 field of the .pub file.
        var base64: String
        var publicLine: String
    }

    static func with(_ body: (Scratch) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rhizome-keysigner-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(Scratch(directory: directory))
    }

    /// Generates a key with ssh-keygen; `passphrase` encrypts it.
    func key(_ name: String, type: String, passphrase: String = "", comment: String? = nil) throws -> Key {
        let path = directory + "/" + name
        let result = try Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C",
                                                         comment ?? "rhizome-keysigner-test-\(getpid())", "-f", path])
        guard result.status == 0 else { throw Lab.LabError("ssh-keygen \(type): \(result.stderr)") }
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let fields = line.split(separator: " ")
        let blob = try #require(Data(base64Encoded: String(fields[1])))
        return Key(path: path, blob: Array(blob), base64: String(fields[1]), publicLine: line)
    }

    /// The private agents' directories in the temporary directory.
    static func signerDirectories() -> Set<String> {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return Set(((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasPrefix("rhizome-signer-") })
    }
}

/// The lab's shared authorized_keys (every lab sshd reads it). `topology/lab up`
/// rewrites it to the lab's own key, so a key is added just before it is used.
private enum AuthorizedKeys {
    static let path = "/run/rhizome-lab/authorized_keys"

    static func authorize(_ keys: [Scratch.Key]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(keys.map { $0.publicLine + "\n" }.joined().utf8))
    }

    /// Removes the lines `authorize` added (in place: sshd reads the file at each login).
    static func revoke(_ keys: [Scratch.Key]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let lines = Set(keys.map(\.publicLine))
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !lines.contains(String($0)) }
        let updated = kept.joined(separator: "\n")
        guard updated != text, let handle = FileHandle(forUpdatingAtPath: path) else { return }
        defer { try? handle.close() }
        try? handle.truncate(atOffset: 0)
        try? handle.write(contentsOf: Data(updated.utf8))
    }
}

/// An SSH session to a demo lab host, authenticated as root with one signer.
private enum LabSSH {
    static func authenticate(host: String, _ signer: PublicKeySigner) throws {
        let session = try SSHSession(host: host, port: 22, connectTimeout: 5)
        let knownHosts = KnownHosts(text: try String(contentsOfFile: Lab.knownHosts, encoding: .utf8), source: Lab.knownHosts)
        _ = try session.verifyHostKey(knownHosts: knownHosts, policy: .strict)
        try session.authenticate(user: "root", methods: [.signer(signer)])
    }
}

/// An ssh-agent standing in for the user's own.
private final class UserAgent {
    let socketPath: String
    private let process = Process()

    init(socketPath: String) throws {
        self.socketPath = socketPath
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-agent")
        process.arguments = ["-D", "-a", socketPath]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        guard Lab.eventually(within: 5, { FileManager.default.fileExists(atPath: socketPath) }) else {
            throw Lab.LabError("ssh-agent did not create \(socketPath)")
        }
    }

    /// ssh-add; a passphrase goes through an askpass script next to the socket.
    func add(_ keyPath: String, passphrase: String? = nil) throws {
        var environment = ["SSH_AUTH_SOCK": socketPath, "PATH": "/usr/bin:/bin"]
        if let passphrase {
            let askpass = socketPath + ".askpass"
            try "#!/bin/sh\nprintf '%s\\n' '\(passphrase)'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
            chmod(askpass, 0o700)
            environment["SSH_ASKPASS"] = askpass
            environment["SSH_ASKPASS_REQUIRE"] = "force"
        }
        let result = try Lab.run("/usr/bin/ssh-add", [keyPath], environment: environment)
        guard result.status == 0 else { throw Lab.LabError("ssh-add \(keyPath): \(result.stderr)") }
    }

    /// SIGKILL: Foundation's Process hands the spawning thread's signal mask on, and the
    /// test threads block SIGTERM, so the agent would never see a terminate().
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

private final class Asked: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func record(_ path: String) { lock.withLock { recorded.append(path) } }
    var paths: [String] { lock.withLock { recorded } }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[UInt8], KeySignerError>] = []
    func append(_ result: Result<[UInt8], KeySignerError>) { lock.withLock { results.append(result) } }
    var all: [Result<[UInt8], KeySignerError>] { lock.withLock { results } }
}
