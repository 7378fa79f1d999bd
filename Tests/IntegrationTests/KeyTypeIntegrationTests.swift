import Foundation
@testable import RhizomeController
import RhizomeSSH
import RhizomeWire
import Testing

/// Every kind of client key the lab authorizes (`topology/lab` makes them), used
/// by the controller directly (bastion2) and by relays one and two hops deep
/// (bastion3 via bastion2, u01 via bastion3). The lab's sshd keeps OpenSSH 9.2's
/// default PubkeyAcceptedAlgorithms, so RSA works only with SHA-2 signatures.
extension LabTests {
@Suite("every key type, direct and relayed", .serialized)
struct KeyTypeIntegrationTests {
    static let labRoot = "/run/rhizome-lab"
    static let passphrase = "rhizome lab passphrase"

    init() throws {
        try Lab.ensureUp("tree")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var key: String
        var environment: [String: String] = [:]
        /// The algorithm of the signatures relays get for the key.
        var signature: String
        var testDescription: String {
            ([key] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    static let cases: [Case] = [
        Case(key: "id_ed25519", signature: "ssh-ed25519"),
        Case(key: "id_ecdsa", signature: "ecdsa-sha2-nistp256"),
        Case(key: "id_rsa", signature: "rsa-sha2-512"),
        Case(key: "id_rsa", environment: ["RHIZOME_RSA_ALGORITHMS": "rsa-sha2-256"], signature: "rsa-sha2-256"),
        Case(key: "id_rsa", environment: ["RHIZOME_RSA_ALGORITHMS": "rsa-sha2-512"], signature: "rsa-sha2-512"),
        Case(key: "id_ed25519_encrypted", environment: ["RHIZOME_SSH_PASSPHRASE": passphrase], signature: "ssh-ed25519"),
        // Authorized only through its certificate (cert-authority): libssh2 1.10 can use ECDSA ones.
        Case(key: "ecdsa_certified", signature: "ecdsa-sha2-nistp256"),
    ]

    @Test("logs in with the key, direct and two relays deep; relays see signatures, never key material", arguments: cases)
    func logsIn(_ test: Case) throws {
        let key = Self.labRoot + "/" + test.key
        let trace = try Lab.temporaryFile("key-frames-\(test.key).bin", "")
        let result = try Lab.rhizome(["exec", "-v", "-i", try Self.inventory(key: key), "all", "-a", "true"],
                                     environment: test.environment.merging(["RHIZOME_TRACE_FRAMES": trace]) { $1 })
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for host in ["bastion2", "bastion3", "u01"] {
            #expect(result.stdout.contains("\(host) | CHANGED | rc=0 >>"), "\(host): \(result.stdout)")
        }
        let frames = [UInt8](try Data(contentsOf: URL(fileURLWithPath: trace)))
        let signatures = try Self.signResponses(in: frames)
        #expect(signatures.count == 2, "bastion2 signs in for bastion3, bastion3 for u01: \(signatures)")
        #expect(signatures.allSatisfy { $0 == test.signature }, "\(signatures)")
        try Self.expectNoSecret(of: key, in: frames)
    }

    @Test("an RSA key signed as ssh-rsa (SHA-1) is refused, direct and relayed, and the error says why")
    func sha1Refused() throws {
        let rsa = Self.labRoot + "/id_rsa"
        // The bastions log in with the lab's ed25519 key: only u01, two relays deep, uses RSA.
        let relayed = try Lab.rhizome(["exec", "-i", try Self.inventory(key: rsa, bastionKey: Lab.clientKey), "u01", "-a", "true"],
                                      environment: ["RHIZOME_RSA_ALGORITHMS": "ssh-rsa"])
        #expect(relayed.status == 4, "\(relayed.stdout)\(relayed.stderr)")
        #expect(relayed.stdout.contains("u01 | UNREACHABLE!"), "\(relayed.stdout)")
        #expect(relayed.stdout.contains("signed as ssh-rsa, RSA/SHA-1"), "\(relayed.stdout)")
        let direct = try Lab.rhizome(["exec", "-i", try Self.inventory(key: rsa), "bastion2", "-a", "true"],
                                     environment: ["RHIZOME_RSA_ALGORITHMS": "ssh-rsa"])
        #expect(direct.status == 4 && direct.stdout.contains("signed as ssh-rsa, RSA/SHA-1"), "\(direct.stdout)")
        // The server's own word for it.
        for host in ["bastion2", "u01"] {
            let log = try String(contentsOfFile: "\(Self.labRoot)/tree/hosts/\(host)/sshd.log", encoding: .utf8)
            #expect(log.contains("signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms"), "\(host)")
        }
    }

    @Test("an encrypted key the user's ssh-agent holds is signed for by that agent: no passphrase needed")
    func encryptedKeyThroughUserAgent() throws {
        let key = Self.labRoot + "/id_ed25519_encrypted"
        let agent = try UserAgent()
        defer { agent.stop() }
        try agent.add(key, passphrase: Self.passphrase)
        let trace = try Lab.temporaryFile("key-frames-user-agent.bin", "")
        let result = try Lab.rhizome(["exec", "-i", try Self.inventory(key: key), "all", "-a", "true"],
                                     environment: ["SSH_AUTH_SOCK": agent.socketPath, "RHIZOME_TRACE_FRAMES": trace])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stderr.contains("passphrase"), "\(result.stderr)")
        let frames = [UInt8](try Data(contentsOf: URL(fileURLWithPath: trace)))
        #expect(try Self.signResponses(in: frames) == ["ssh-ed25519", "ssh-ed25519"])
        try Self.expectNoSecret(of: key, in: frames)
    }

    @Test("on a terminal, an encrypted key's passphrase is asked once, for the direct and the relayed logins")
    func passphrasePromptOnTerminal() throws {
        let key = Self.labRoot + "/id_ed25519_encrypted"
        let inventory = try Self.inventory(key: key)
        // script(1) gives the controller a terminal; the passphrase is typed once the prompt shows.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(Lab.rhizomePath) exec -i \(inventory) all -a true", "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        environment["RHIZOME_AGENT"] = Lab.agentPath
        environment["SSH_AUTH_SOCK"] = nil
        environment["RHIZOME_SSH_PASSPHRASE"] = nil
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let transcript = Transcript()
        output.fileHandleForReading.readabilityHandler = { handle in transcript.append(handle.availableData) }
        try process.run()
        let prompted = Lab.eventually(within: 20) { transcript.text.contains("Enter passphrase for \(key)") }
        if prompted { input.fileHandleForWriting.write(Data((Self.passphrase + "\n").utf8)) }
        let finished = Lab.eventually(within: 60) { !process.isRunning }
        if !finished { process.terminate() }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        let text = transcript.text
        #expect(prompted && finished && process.terminationStatus == 0, "\(text)")
        #expect(text.components(separatedBy: "Enter passphrase for").count == 2, "asked once: \(text)")
        for host in ["bastion2", "bastion3", "u01"] {
            #expect(text.contains("\(host) | CHANGED | rc=0 >>"), "\(host): \(text)")
        }
    }

    @Test("an encrypted key without a passphrase, off a terminal, fails naming the file")
    func encryptedKeyWithoutPassphrase() throws {
        let key = Self.labRoot + "/id_ed25519_encrypted"
        let result = try Lab.rhizome(["exec", "-i", try Self.inventory(key: key), "all", "-a", "true"])
        #expect(result.status == 4, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("bastion2 | UNREACHABLE!"), "\(result.stdout)")
        #expect(result.stdout.contains(key) && result.stdout.contains("passphrase"), "\(result.stdout)")
    }

    @Test("an Ed25519 certificate is a clear error naming the host and the certificate file, not a silent refusal")
    func ed25519Certificate() throws {
        let key = Self.labRoot + "/ed25519_certified"
        let relayed = try Lab.rhizome(["exec", "-i", try Self.inventory(key: key, bastionKey: Lab.clientKey), "u01", "-a", "true"])
        #expect(relayed.status == 4, "\(relayed.stdout)\(relayed.stderr)")
        let line = try #require(relayed.stdout.split(separator: "\n").first { $0.contains("u01 | UNREACHABLE!") }, "\(relayed.stdout)")
        let text = relayed.stdout
        #expect(text.contains("\(key)-cert.pub (not offered: an OpenSSH certificate (ssh-ed25519-cert-v01@openssh.com)"), "\(line)")
        #expect(text.contains("libssh2 1.10 can log in with ECDSA certificates only"), "\(text)")
        let direct = try Lab.rhizome(["exec", "-i", try Self.inventory(key: key), "bastion2", "-a", "true"])
        #expect(direct.status == 4 && direct.stdout.contains("bastion2 | UNREACHABLE!"), "\(direct.stdout)")
        #expect(direct.stdout.contains("\(key)-cert.pub (not offered"), "\(direct.stdout)")
    }

    @Test("in process: the signer's RSA logins are signed with the algorithm they name", arguments: ["rsa-sha2-512", "rsa-sha2-256"])
    func rsaDirectInProcess(_ algorithm: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["SSH_AUTH_SOCK"] = nil
        environment["RHIZOME_RSA_ALGORITHMS"] = algorithm
        let signer = try KeySigner.start(identityFiles: [Self.labRoot + "/id_rsa"], useUserAgent: false,
                                         passphrase: { _ in nil }, environment: environment)
        defer { signer.close() }
        #expect(signer.offers.map(\.label) == ["\(Self.labRoot)/id_rsa (\(algorithm))"])
        let made = Made()
        let recording = signer.publicKeySigners.map { inner in
            PublicKeySigner(blob: inner.blob, label: inner.label) { data in
                let signature = try inner.sign(data)
                made.record(SignerIdentity.keyType(of: signature) ?? "?")
                return signature
            }
        }
        let session = try SSHSession(host: "198.18.2.3", port: 22, connectTimeout: 5)
        let knownHosts = KnownHosts(text: try String(contentsOfFile: Lab.knownHosts, encoding: .utf8), source: Lab.knownHosts)
        _ = try session.verifyHostKey(knownHosts: knownHosts, policy: .strict)
        try session.authenticate(user: "root", methods: recording.map { .signer($0) })
        #expect(made.algorithms == [algorithm])
    }

    // MARK: Helpers

    /// bastion2 (direct) → bastion3 → u01, logging in with `key`; the bastions with `bastionKey` when given.
    static func inventory(key: String, bastionKey: String? = nil) throws -> String {
        let bastion = bastionKey.map { ", ansible_ssh_private_key_file: \($0)" } ?? ""
        return try Lab.temporaryFile("keys-\(URL(fileURLWithPath: key).lastPathComponent)-\(bastionKey == nil ? "all" : "deep").yml", """
            all:
              vars:
                ansible_user: root
                ansible_ssh_private_key_file: \(key)
                rhizome_known_hosts: \(Lab.knownHosts)
              hosts:
                bastion2: {ansible_host: 198.18.2.3\(bastion)}
                bastion3: {ansible_host: 198.18.2.4, via: bastion2\(bastion)}
                u01: {ansible_host: 198.18.2.21, via: bastion3}

            """)
    }

    /// The algorithms of the signatures in the `SignResponse`s of a frame trace.
    static func signResponses(in trace: [UInt8]) throws -> [String] {
        var decoder = FrameDecoder()
        decoder.append(trace)
        var assembler = MessageAssembler()
        var algorithms: [String] = []
        while let frame = try decoder.nextFrame() {
            guard let envelope = try assembler.push(frame), envelope.messageType == .signResponse else { continue }
            let response = try envelope.decode(SignResponse.self)
            #expect(response.error.isEmpty, "\(response.error)")
            algorithms.append(SignerIdentity.keyType(of: response.signature) ?? "?")
        }
        return algorithms
    }

    /// Not one 8-byte piece of the key's secret parts, nor a line of its file, is in `frames`.
    static func expectNoSecret(of keyPath: String, in frames: [UInt8]) throws {
        let secrets = try PrivateKeyFile.secretParts(of: keyPath, passphrase: passphrase)
        #expect(!secrets.isEmpty)
        #expect(try leaks(of: keyPath, secrets: secrets, in: frames) == [])
        // The check sees a secret when there is one to see.
        let planted = frames + secrets[secrets.count - 1].1.suffix(9)
        #expect(try leaks(of: keyPath, secrets: secrets, in: planted) == [secrets[secrets.count - 1].0])
    }

    /// The names of the secret parts with an 8-byte piece in `frames`, and "file" when a line of the key file is there.
    static func leaks(of keyPath: String, secrets: [(String, [UInt8])], in frames: [UInt8]) throws -> [String] {
        var windows = Set<ArraySlice<UInt8>>()
        if frames.count >= 8 {
            for index in 0 ... frames.count - 8 { windows.insert(frames[index ..< index + 8]) }
        }
        var found = secrets.filter { _, secret in
            (0 ... secret.count - 8).contains { windows.contains(secret[$0 ..< $0 + 8]) }
        }.map(\.0)
        let frameText = String(decoding: frames, as: UTF8.self)
        let lines = try String(contentsOfFile: keyPath, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }
        if lines.contains(where: { frameText.contains($0) }) { found.append("file") }
        return found
    }
}
}

/// The secret parts of an OpenSSH private key file (openssh-key-v1, PROTOCOL.key).
private enum PrivateKeyFile {
    /// `(name, bytes)` of each secret field: the Ed25519 seed, the ECDSA scalar, RSA's d, p, q and iqmp.
    /// An encrypted file is decrypted in a copy with ssh-keygen first.
    static func secretParts(of path: String, passphrase: String) throws -> [(String, [UInt8])] {
        let copy = try Lab.temporaryFile("secret-copy-\(getpid())", try String(contentsOfFile: path, encoding: .utf8))
        defer { try? FileManager.default.removeItem(atPath: copy) }
        chmod(copy, 0o600)
        _ = try Lab.run("/usr/bin/ssh-keygen", ["-q", "-p", "-P", passphrase, "-N", "", "-f", copy])
        let text = try String(contentsOfFile: copy, encoding: .utf8)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var reader = AgentWireReader([UInt8](try #require(Data(base64Encoded: body))).dropFirst(15))
        #expect(try String(decoding: reader.string(), as: UTF8.self) == "none", "\(path) is still encrypted")
        _ = try reader.string()  // kdf
        _ = try reader.string()  // kdf options
        #expect(try reader.uint32() == 1)
        _ = try reader.string()  // public key
        var secret = AgentWireReader(try reader.string())
        _ = try secret.uint32()  // check integers
        _ = try secret.uint32()
        func mpint() throws -> [UInt8] { Array(try secret.string().drop { $0 == 0 }) }
        switch String(decoding: try secret.string(), as: UTF8.self) {
        case "ssh-ed25519":
            _ = try secret.string()
            return [("the Ed25519 seed", Array(try secret.string().prefix(32)))]
        case let type where type.hasPrefix("ecdsa-sha2-"):
            _ = try secret.string()
            _ = try secret.string()
            return [("the ECDSA private scalar", try mpint())]
        case "ssh-rsa":
            _ = try secret.string()  // n
            _ = try secret.string()  // e
            let d = try mpint(), iqmp = try mpint(), p = try mpint(), q = try mpint()
            return [("RSA d", d), ("RSA iqmp", iqmp), ("RSA p", p), ("RSA q", q)]
        case let type:
            throw Lab.LabError("\(path): key type \(type) not handled")
        }
    }
}

/// An ssh-agent standing in for the user's own, in a directory of its own.
private final class UserAgent {
    let directory: String
    var socketPath: String { directory + "/agent.sock" }
    private let process = Process()

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rhizome-user-agent-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-agent")
        process.arguments = ["-D", "-a", directory + "/agent.sock"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        guard Lab.eventually(within: 5, { FileManager.default.fileExists(atPath: directory + "/agent.sock") }) else {
            throw Lab.LabError("ssh-agent did not create \(socketPath)")
        }
    }

    /// ssh-add, with the passphrase through an askpass script.
    func add(_ keyPath: String, passphrase: String) throws {
        let askpass = directory + "/askpass"
        try "#!/bin/sh\nprintf '%s\\n' '\(passphrase)'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
        chmod(askpass, 0o700)
        let result = try Lab.run("/usr/bin/ssh-add", [keyPath], environment: [
            "SSH_AUTH_SOCK": socketPath, "PATH": "/usr/bin:/bin", "SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force",
        ])
        guard result.status == 0 else { throw Lab.LabError("ssh-add \(keyPath): \(result.stderr)") }
    }

    /// SIGKILL: the test threads block SIGTERM, and Process hands that mask on.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// What a child wrote, gathered from a readability handler.
private final class Transcript: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

private final class Made: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func record(_ algorithm: String) { lock.withLock { recorded.append(algorithm) } }
    var algorithms: [String] { lock.withLock { recorded } }
}
