import Foundation
import RhizomeStore
import Testing

/// The mesh on the tree lab: relays, hops, payloads once per link, failure isolation.
extension LabTests {
@Suite("mesh on the tree lab", .serialized)
struct MeshIntegrationTests {
    let tree = Lab.topology("tree")
    let targets = (1 ... 8).map { String(format: "t%02d", $0) }
    let deep = (1 ... 4).map { String(format: "u%02d", $0) }

    init() throws {
        try Lab.ensureUp("tree")
    }

    /// Bytes that crossed the controller→bastion1 link (both directions), as the kernel counts them.
    func bastionLinkBytes() throws -> UInt64 {
        let iface = try Lab.run(Lab.root.appendingPathComponent("topology/lab").path, ["iface", tree, "bastion1"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func counter(_ name: String) throws -> UInt64 {
            UInt64(try String(contentsOfFile: "/sys/class/net/\(iface)/statistics/\(name)", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        return try counter("tx_bytes") + counter("rx_bytes")
    }

    func report(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func link(_ report: [String: Any], to child: String) -> [String: Any]? {
        (report["links"] as? [[String: Any]])?.first { $0["child_name"] as? String == child }
    }

    @Test("commands run through 1, 2 and 3 hops; every host answers with its own name")
    func throughHops() throws {
        let result = try Lab.rhizome(["exec", "-i", tree, "all", "-a", "hostname"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for host in ["bastion1", "bastion2", "bastion3"] + targets + deep {
            #expect(result.stdout.contains("\(host) | CHANGED | rc=0 >>\n\(host)\n"), "\(host) missing in \(result.stdout)")
        }
    }

    @Test("a hop that matches no pattern only relays")
    func relayOnly() throws {
        let reportPath = try Lab.temporaryFile("relay-only.json", "")
        let result = try Lab.rhizome(["exec", "-i", tree, "u02", "-a", "hostname", "--report", reportPath])
        #expect(result.status == 0)
        #expect(result.stdout == "u02 | CHANGED | rc=0 >>\nu02\n")
        let nodes = try #require(try report(reportPath)["nodes"] as? [[String: Any]])
        let roles = Dictionary(uniqueKeysWithValues: nodes.map { ($0["name"] as! String, $0["role"] as! String) })
        #expect(roles == ["bastion2": "relay", "bastion3": "relay", "u02": "target"])
    }

    @Test("a 20 MiB file crosses the bastion link once, whether compressible or not", arguments: ["random", "compressible"])
    func copyOncePerLink(kind: String) throws {
        let size = 20 << 20
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rz-\(kind)-\(getpid())").path
        let bytes: [UInt8]
        if kind == "random" {
            var generator = SystemRandomNumberGenerator()
            bytes = (0 ..< size / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
        } else {
            bytes = (0 ..< size).map { UInt8(truncatingIfNeeded: ($0 / 64) % 7 + 97) }
        }
        FileManager.default.createFile(atPath: file, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: file) }
        // What one copy costs on the wire: the chunks as sent (LZ4 where it helps).
        var transferred = 0
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + (64 << 10) - 128, bytes.count)
            transferred += LZ4.compress(Array(bytes[offset ..< end]))?.count ?? (end - offset)
            offset = end
        }
        let dest = "/tmp/rz-copy-\(kind)"
        for target in targets { _ = try Lab.exec("tree", target, ["rm", "-f", dest]) }
        let reportPath = try Lab.temporaryFile("copy-\(kind).json", "")
        let before = try bastionLinkBytes()
        let result = try Lab.rhizome(["exec", "-i", tree, "branch1", "-m", "copy", "-a", "src=\(file) dest=\(dest)",
                                      "--report", reportPath])
        let crossed = try bastionLinkBytes() - before
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "| CHANGED =>").count - 1 == 8)
        let figures = try #require(link(try report(reportPath), to: "bastion1"))
        let payload = try #require(figures["payload_bytes_down"] as? Int)
        let bootstrap = try #require(figures["bootstrap_bytes"] as? Int)
        let allowance = { (bytes: Int) in Double(bytes) * 1.05 + 65536 }
        #expect(Double(payload) <= allowance(transferred), "report: \(payload) payload bytes for \(transferred)")
        #expect(Double(payload) >= Double(transferred), "report counts less than one copy")
        #expect(Double(crossed) <= allowance(transferred + bootstrap), "veth: \(crossed) bytes for \(transferred) + \(bootstrap)")
        #expect(figures["payloads_sent"] as? Int == 1)
        // Every target has the exact file.
        let expected = Digest.sha256(bytes).hex
        for target in targets {
            let sum = try Lab.exec("tree", target, ["sha256sum", dest]).stdout
            #expect(sum.hasPrefix(expected), "\(target): \(sum)")
        }

        // The same copy again: nothing changes and no content is sent anywhere.
        let againReport = try Lab.temporaryFile("copy-again-\(kind).json", "")
        let again = try Lab.rhizome(["exec", "-i", tree, "branch1", "-m", "copy", "-a", "src=\(file) dest=\(dest)",
                                     "--report", againReport])
        #expect(again.status == 0)
        #expect(again.stdout.components(separatedBy: "| SUCCESS =>").count - 1 == 8, "\(again.stdout)")
        for link in try #require(try report(againReport)["links"] as? [[String: Any]]) {
            #expect(link["payload_bytes_down"] as? Int == 0, "\(link)")
        }
    }

    @Test("an external module runs on every target and crosses the bastion link once")
    func externalModule() throws {
        let library = FileManager.default.temporaryDirectory.appendingPathComponent("rz-library-\(getpid())").path
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        let module = library + "/greet.sh"
        try """
            #!/bin/sh
            # WANT_JSON: the arguments file is $1
            who=$(sed -n 's/.*"who": *"\\([^"]*\\)".*/\\1/p' "$1")
            echo '{"changed": false, "greeting": "hello '"$who"' from '"$(hostname)"'"}'
            """.write(toFile: module, atomically: true, encoding: .utf8)
        chmod(module, 0o755)
        let reportPath = try Lab.temporaryFile("module.json", "")
        let result = try Lab.rhizome(["exec", "-i", tree, "branch1", "-M", library, "-m", "greet", "-a", "who=lab",
                                      "--report", reportPath])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for target in targets {
            #expect(result.stdout.contains("\"greeting\": \"hello lab from \(target)\""))
        }
        let figures = try #require(link(try report(reportPath), to: "bastion1"))
        #expect(figures["payloads_sent"] as? Int == 1)
        let size = try FileManager.default.attributesOfItem(atPath: module)[.size] as! Int
        #expect((figures["payload_bytes_down"] as? Int ?? .max) < size + 4096)

        // A module that does not print JSON fails its host and shows what it printed.
        try "#!/bin/sh\necho oops, no json\n".write(toFile: library + "/broken", atomically: true, encoding: .utf8)
        chmod(library + "/broken", 0o755)
        let broken = try Lab.rhizome(["exec", "-i", tree, "t01", "-M", library, "-m", "broken"])
        #expect(broken.status == 2)
        #expect(broken.stdout.contains("module broken did not print a JSON result"))
        #expect(broken.stdout.contains("oops, no json"))
        // A result too large for one message fails its host with a clear reason; the agent stays up.
        try #"""
            #!/bin/sh
            printf '{"changed": false, "blob": "'
            head -c 20000000 /dev/zero | tr '\0' a
            printf '"}\n'

            """#
            .write(toFile: library + "/bigjson", atomically: true, encoding: .utf8)
        chmod(library + "/bigjson", 0o755)
        let big = try Lab.rhizome(["exec", "-i", tree, "t01", "-M", library, "-m", "bigjson"])
        #expect(big.status == 2, "\(big.stdout.prefix(500))")
        #expect(big.stdout.contains("t01 | FAILED!") && big.stdout.contains("over the 16 MiB one message may carry"),
                "\(big.stdout.prefix(500))")
        // Nothing of the module stays on the target.
        #expect(try Lab.scratchFiles("tree", "t01") == [])
    }

    /// The 32-byte secret seed of an unencrypted OpenSSH ed25519 key file.
    static func ed25519Seed(ofKeyFile path: String) throws -> [UInt8] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let bytes = try #require(Data(base64Encoded: body).map { [UInt8]($0) })
        var offset = "openssh-key-v1\0".utf8.count
        func uint32() throws -> Int {
            try #require(offset + 4 <= bytes.count)
            defer { offset += 4 }
            return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        func string() throws -> [UInt8] {
            let length = try uint32()
            try #require(offset + length <= bytes.count)
            defer { offset += length }
            return Array(bytes[offset ..< offset + length])
        }
        _ = try string(); _ = try string(); _ = try string()   // cipher, kdf, kdf options
        _ = try uint32()                                         // number of keys
        _ = try string()                                         // public key
        // check ints, key type, public key, then the 64-byte private key (seed + public)
        let section = try string()
        var inner = 8
        func innerString() throws -> [UInt8] {
            try #require(inner + 4 <= section.count)
            let length = Int(section[inner]) << 24 | Int(section[inner + 1]) << 16 | Int(section[inner + 2]) << 8 | Int(section[inner + 3])
            inner += 4
            try #require(inner + length <= section.count)
            defer { inner += length }
            return Array(section[inner ..< inner + length])
        }
        _ = try innerString()
        _ = try innerString()
        let secret = try innerString()
        try #require(secret.count == 64)
        return Array(secret.prefix(32))
    }

    @Test("no private key material is sent to a relay; relays get signatures instead")
    func noKeyMaterialInFrames() throws {
        let trace = try Lab.temporaryFile("frames.bin", "")
        let result = try Lab.rhizome(["exec", "-i", tree, "branch1:branch2", "-a", "true"],
                                     environment: ["RHIZOME_TRACE_FRAMES": trace])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let frames = [UInt8](try Data(contentsOf: URL(fileURLWithPath: trace)))
        // Relayed authentication happened: spawn requests and signature answers were sent.
        let types = Set(stride(from: 0, to: max(0, frames.count - 22), by: 1).compactMap { index -> UInt8? in
            frames[index] == 0x52 && frames[index + 1] == 0x5A && frames[index + 2] == 1 ? frames[index + 3] : nil
        })
        #expect(types.contains(20) && types.contains(24), "no SpawnChild/SignResponse in the trace: \(types.sorted())")
        // Not one 8-byte piece of the secret seed is in any frame.
        let seed = try Self.ed25519Seed(ofKeyFile: Lab.clientKey)
        var windows = Set<[UInt8]>()
        if frames.count >= 8 {
            for index in 0 ... frames.count - 8 { windows.insert(Array(frames[index ..< index + 8])) }
        }
        for index in 0 ... seed.count - 8 {
            #expect(!windows.contains(Array(seed[index ..< index + 8])), "private key bytes at seed offset \(index) were sent")
        }
        let keyText = try String(contentsOfFile: Lab.clientKey, encoding: .utf8)
        let secretBase64 = keyText.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        let frameText = String(decoding: frames, as: UTF8.self)
        for line in secretBase64 { #expect(!frameText.contains(line)) }
    }

    @Test("a host key mismatch two hops down is refused; its siblings carry on")
    func hostKeyMismatchDeep() throws {
        let original = try String(contentsOfFile: Lab.knownHosts, encoding: .utf8)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rz-deep-hk-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/impostor"])
        let impostor = try String(contentsOfFile: directory + "/impostor.pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        let forged = original.split(separator: "\n").filter { !$0.hasPrefix("198.18.2.21 ") }.joined(separator: "\n")
            + "\n198.18.2.21 \(impostor)\n"
        let knownHosts = directory + "/known_hosts"
        try forged.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        // The inventory names its known_hosts (rhizome_known_hosts): point a copy at the forged file.
        let inventory = try Lab.temporaryFile("deep-hk.yml", try String(contentsOfFile: tree, encoding: .utf8)
            .replacingOccurrences(of: Lab.knownHosts, with: knownHosts))
        let run = try Lab.rhizome(["exec", "-i", inventory, "branch2", "-a", "true"])
        #expect(run.status == 4)
        #expect(run.stdout.contains("u01 | UNREACHABLE!"))
        #expect(run.stdout.contains("HOST KEY MISMATCH for 198.18.2.21"), "\(run.stdout)")
        for host in ["u02", "u03", "u04"] {
            #expect(run.stdout.contains("\(host) | CHANGED | rc=0 >>"))
        }
    }

    @Test("a relay that dies mid-run marks exactly its subtree unreachable; its agents leave")
    func relayDies() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Lab.rhizomePath)
        process.arguments = ["exec", "-i", tree, "branch1:branch2", "-m", "shell", "-a", "sleep 4; echo done"]
        var environment = ProcessInfo.processInfo.environment
        environment["RHIZOME_AGENT"] = Lab.agentPath
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Wait (bounded) until every t0x runs its task, then kill bastion1's agent.
        let started = try Lab.eventually(within: 30) {
            try targets.allSatisfy { try !Lab.processes("tree", $0, matching: "sleep 4").isEmpty }
        }
        try #require(started, "tasks did not start")
        let relay = try #require(try Lab.agentPids("tree", "bastion1").first)
        kill(relay, SIGKILL)

        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 4)
        for target in targets {
            #expect(text.contains("\(target) | UNREACHABLE!"), "\(target) in \(text)")
        }
        #expect(text.contains("link to bastion1 lost"), "\(text)")
        for host in deep {
            #expect(text.contains("\(host) | CHANGED | rc=0 >>\ndone"), "\(host) in \(text)")
        }
        // Agents below the dead relay lose their parent link and exit, tasks and all.
        let gone = try Lab.eventually(within: 10) {
            try targets.allSatisfy { try Lab.agentPids("tree", $0).isEmpty && Lab.processes("tree", $0, matching: "sleep 4").isEmpty }
        }
        #expect(gone, "agents or tasks left below the dead relay")
    }
}
}

extension LabTests {
@Suite("tunnel mode on the tree lab", .serialized)
struct TunnelIntegrationTests {
    let tree = Lab.topology("tree")

    init() throws {
        try Lab.ensureUp("tree")
    }

    @Test("hosts behind one and two bastions are reached through forwarded channels, with no agent on the bastions")
    func tunnelMode() throws {
        let reportPath = try Lab.temporaryFile("tunnel.json", "")
        let result = try Lab.rhizome(["exec", "-i", tree, "branch1:branch2", "--via-mode", "tunnel", "-a", "hostname",
                                      "--report", reportPath])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for host in (1 ... 8).map({ String(format: "t%02d", $0) }) + (1 ... 4).map({ String(format: "u%02d", $0) }) {
            #expect(result.stdout.contains("\(host) | CHANGED | rc=0 >>\n\(host)\n"))
        }
        // Every agent hangs directly off the controller: the bastions ran none.
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        #expect(nodes.count == 12)
        #expect(nodes.allSatisfy { $0["parent"] as? Int == 0 })
        #expect(!nodes.contains { ($0["name"] as? String ?? "").hasPrefix("bastion") })
    }

    @Test("the same host set by inventory: rhizome_via_mode: tunnel")
    func tunnelByInventory() throws {
        let text = try String(contentsOfFile: tree, encoding: .utf8)
            .replacingOccurrences(of: "        via: bastion1\n", with: "        via: bastion1\n        rhizome_via_mode: tunnel\n")
        let inventory = try Lab.temporaryFile("tunnel-inventory.yml", text)
        let result = try Lab.rhizome(["exec", "-i", inventory, "t01:t02", "-a", "hostname"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try Lab.agentPids("tree", "bastion1").isEmpty)
    }
}
}

extension LabTests {
@Suite("target cache", .serialized)
struct TargetCacheIntegrationTests {
    let tree = Lab.topology("tree")
    let cache = "/var/tmp/rz-test-cache"
    let hosts = ["t01", "t02", "u01"]

    init() throws {
        try Lab.ensureUp("tree")
        for host in hosts + ["bastion1", "bastion2", "bastion3"] { _ = try Lab.exec("tree", host, ["rm", "-rf", cache]) }
    }

    func run(_ extra: [String], dest: String) throws -> (Lab.ProcessResult, [[String: Any]]) {
        let reportPath = try Lab.temporaryFile("cache-\(UUID().uuidString).json", "")
        let file = try Lab.temporaryFile("cache-payload", String(repeating: "cached payload line\n", count: 20_000))
        let result = try Lab.rhizome(["exec", "-i", tree, "t01:t02:u01", "--target-cache", cache, "-m", "copy",
                                      "-a", "src=\(file) dest=\(dest)", "--report", reportPath] + extra)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        return (result, try #require(report["links"] as? [[String: Any]]))
    }

    @Test("a second run uploads no agent and no payload; a corrupt entry is replaced; races are safe; the size limit holds")
    func cacheAcrossRuns() throws {
        let (first, firstLinks) = try run([], dest: "/tmp/rz-cache-a")
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(firstLinks.allSatisfy { ($0["bootstrap_bytes"] as? Int ?? 0) > 1_000_000 })

        let (second, secondLinks) = try run([], dest: "/tmp/rz-cache-b")
        #expect(second.status == 0)
        #expect(second.stdout.components(separatedBy: "| CHANGED =>").count - 1 == 3)
        for link in secondLinks {
            #expect((link["bootstrap_bytes"] as? Int ?? .max) < 1000, "agent uploaded again: \(link)")
            #expect(link["payload_bytes_down"] as? Int == 0, "payload sent again: \(link)")
        }

        // A cached agent that does not match its digest is not run; it is uploaded afresh.
        let listing = try Lab.exec("tree", "t01", ["sh", "-c", "ls \(cache)"]).stdout
        let agent = try #require(listing.split(separator: "\n").first { $0.hasPrefix("agent-") })
        _ = try Lab.exec("tree", "t01", ["sh", "-c", "echo broken > \(cache)/\(agent)"])
        let (third, thirdLinks) = try run([], dest: "/tmp/rz-cache-c")
        #expect(third.status == 0, "\(third.stdout)")
        let t01 = try #require(thirdLinks.first { $0["child_name"] as? String == "t01" })
        #expect((t01["bootstrap_bytes"] as? Int ?? 0) > 1_000_000)
        #expect(try Lab.exec("tree", "t01", ["sh", "-c", "sha256sum \(cache)/\(agent) | cut -c1-64"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines) == String(agent.dropFirst("agent-".count)))

        // Two runs at once share the cache without harm.
        let group = DispatchGroup()
        let statuses = LockedStatuses()
        for index in 0 ..< 2 {
            group.enter()
            DispatchQueue.global().async {
                let result = try? Lab.rhizome(["exec", "-i", tree, "t01:t02:u01", "--target-cache", cache, "-a", "true"])
                statuses.add(result?.status ?? -1)
                _ = index
                group.leave()
            }
        }
        group.wait()
        #expect(statuses.all == [0, 0])

        // A limit smaller than the agent keeps nothing but what a run needs now.
        let (small, _) = try run(["--target-cache-size", "1000"], dest: "/tmp/rz-cache-d")
        #expect(small.status == 0)
        let left = try Lab.exec("tree", "t02", ["sh", "-c", "ls \(cache) | grep payload- | wc -l"]).stdout
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        for host in hosts + ["bastion1", "bastion2", "bastion3"] { _ = try Lab.exec("tree", host, ["rm", "-rf", cache]) }
    }

    final class LockedStatuses: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int32] = []
        func add(_ value: Int32) { lock.lock(); values.append(value); lock.unlock() }
        var all: [Int32] { lock.lock(); defer { lock.unlock() }; return values }
    }
}
}
