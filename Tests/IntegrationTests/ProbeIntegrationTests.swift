import Foundation
import Testing

/// `rhizome topology --probe` on the tree lab: what comes up, and where and why what does not.
extension LabTests {
@Suite("topology --probe on the tree lab", .serialized)
struct ProbeIntegrationTests {
    let tree = Lab.topology("tree")

    init() throws {
        try Lab.ensureUp("tree")
    }

    /// The probe's JSON graph: node entries by name.
    func probe(_ arguments: [String]) throws -> (status: Int32, nodes: [String: [String: Any]], stderr: String) {
        let result = try Lab.rhizome(["topology", "--probe", "--format", "json"] + arguments)
        let graph = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                 "\(result.stdout)\(result.stderr)")
        let nodes = try #require(graph["nodes"] as? [[String: Any]])
        return (result.status, Dictionary(uniqueKeysWithValues: nodes.map { ($0["name"] as? String ?? "?", $0) }), result.stderr)
    }

    func probeFigures(_ node: [String: Any]?) -> [String: Any] {
        node?["probe"] as? [String: Any] ?? [:]
    }

    @Test("every node of the tree lab comes up: agent version, platform, round trip and set-up times; nothing is left behind")
    func healthy() throws {
        let (status, nodes, stderr) = try probe(["-i", tree])
        #expect(status == 0, "\(stderr)")
        #expect(nodes.count == 16)
        for (name, node) in nodes where name != "controller" {
            let p = probeFigures(node)
            #expect(p["state"] as? String == "up", "\(name): \(p)")
            #expect(p["agent_version"] as? String == "0.1.0", "\(name)")
            #expect(p["system"] as? String == "Linux" && p["machine"] as? String == "x86_64", "\(name)")
            #expect(p["hostname"] as? String == name, "\(name)")
            #expect((p["rtt_milliseconds"] as? Double ?? 0) > 0, "\(name)")
            for phase in ["handshake_milliseconds", "authentication_milliseconds", "bootstrap_milliseconds"] {
                #expect((p[phase] as? Double ?? 0) > 0, "\(name) \(phase)")
            }
        }
        // A probe runs no task and leaves nothing: agents gone, scratch places clean.
        for host in ["bastion1", "t01", "bastion3", "u04"] {
            #expect(try Lab.eventually(within: 5) { try Lab.agentPids("tree", host).isEmpty }, "\(host)")
            #expect(try Lab.scratchFiles("tree", host).isEmpty, "\(host)")
        }
    }

    @Test("failures show at the hop where they happen, with the cause; the hosts behind are unreachable; the rest is up")
    func failuresAtTheirHops() throws {
        // bastion3 (two hops down) presents a key other than the one known_hosts has.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rz-probe-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/impostor"])
        let impostor = try String(contentsOfFile: directory + "/impostor.pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        let original = try String(contentsOfFile: Lab.knownHosts, encoding: .utf8)
        let forged = original.split(separator: "\n").filter { !$0.hasPrefix("198.18.2.4 ") }.joined(separator: "\n")
            + "\n198.18.2.4 \(impostor)\n"
        let knownHosts = directory + "/known_hosts"
        try forged.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        // A dead hop behind bastion1 (no host at that address), a host that refuses our key,
        // and a first hop that is not there.
        let inventory = try Lab.temporaryFile("probe-failures.yml", try String(contentsOfFile: tree, encoding: .utf8)
            .replacingOccurrences(of: Lab.knownHosts, with: knownHosts) + """
                dead:
                  hosts:
                    ghost: {ansible_host: 198.18.2.250, via: bastion1}
                    v01: {ansible_host: 198.18.2.251, via: ghost}
                    v02: {ansible_host: 198.18.2.252, via: ghost}
                    nowhere: {ansible_host: 198.18.2.249}
                locked:
                  hosts:
                    t01-locked: {ansible_host: 198.18.2.11, via: bastion1, ansible_ssh_private_key_file: \(Lab.wrongKey)}
            """)
        let (status, nodes, stderr) = try probe(["-i", inventory])
        #expect(status == 4, "\(stderr)")

        let mismatch = probeFigures(nodes["bastion3"])
        #expect(mismatch["state"] as? String == "failed")
        #expect(mismatch["cause"] as? String == "host key mismatch")
        #expect((mismatch["message"] as? String ?? "").contains("HOST KEY MISMATCH for 198.18.2.4"), "\(mismatch)")
        for host in ["u01", "u02", "u03", "u04"] {
            let p = probeFigures(nodes[host])
            #expect(p["state"] as? String == "unreachable" && p["blocked_by"] as? String == "bastion3", "\(host): \(p)")
        }

        let ghost = probeFigures(nodes["ghost"])
        #expect(ghost["state"] as? String == "failed" && ghost["cause"] as? String == "no route", "\(ghost)")
        for host in ["v01", "v02"] {
            let p = probeFigures(nodes[host])
            #expect(p["state"] as? String == "unreachable" && p["blocked_by"] as? String == "ghost", "\(host): \(p)")
        }
        let nowhere = probeFigures(nodes["nowhere"])
        #expect(nowhere["state"] as? String == "failed" && nowhere["cause"] as? String == "no route", "\(nowhere)")
        let locked = probeFigures(nodes["t01-locked"])
        #expect(locked["state"] as? String == "failed" && locked["cause"] as? String == "auth refused", "\(locked)")

        for host in ["bastion1", "bastion2", "t01", "t08"] {
            #expect(probeFigures(nodes[host])["state"] as? String == "up", "\(host)")
        }

        // The tree says the same, on the lines of the hops concerned.
        let text = try Lab.rhizome(["topology", "--probe", "-i", inventory])
        #expect(text.status == 4)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("bastion3") && $0.contains("FAILED: host key mismatch") }, "\(text.stdout)")
        #expect(lines.contains { $0.contains("u[01:04]") && $0.contains("UNREACHABLE behind bastion3") }, "\(text.stdout)")
        #expect(lines.contains { $0.contains("ghost") && $0.contains("FAILED: no route") }, "\(text.stdout)")
        #expect(lines.contains { $0.contains("t01-locked") && $0.contains("FAILED: auth refused") }, "\(text.stdout)")
    }

    @Test("a port that accepts but never speaks SSH times out at the operation timeout")
    func silentHost() throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let inventory = try Lab.temporaryFile("probe-silent.yml", """
            all:
              hosts:
                silent: {ansible_host: 127.0.0.1, ansible_port: \(listener.port), ansible_user: root}
            """)
        let started = Date()
        let (status, nodes, stderr) = try probe(["-i", inventory, "--operation-timeout", "1", "--private-key", Lab.clientKey])
        #expect(status == 4, "\(stderr)")
        #expect(probeFigures(nodes["silent"])["cause"] as? String == "timeout", "\(nodes)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("tunnel mode: bastions are SSH sessions without an agent, targets behind them are up")
    func tunnel() throws {
        let (status, nodes, stderr) = try probe(["-i", tree, "--via-mode", "tunnel", "branch2"])
        #expect(status == 0, "\(stderr)")
        for host in ["bastion2", "bastion3"] {
            let p = probeFigures(nodes[host])
            #expect(p["state"] as? String == "up" && p["agent_version"] == nil, "\(host): \(p)")
            #expect((p["message"] as? String ?? "").contains("tunnel"))
        }
        for host in ["u01", "u02", "u03", "u04"] {
            #expect(probeFigures(nodes[host])["agent_version"] as? String == "0.1.0", "\(host)")
            #expect(nodes[host]?["via"] as? String == "tunnel", "\(host)")
        }
    }

    @Test("tunnel mode: a host the bastion cannot reach fails at its own hop, in the bastion's words; hosts behind it are unreachable")
    func tunnelDeadHop() throws {
        let inventory = try Lab.temporaryFile("probe-tunnel-dead.yml", try String(contentsOfFile: tree, encoding: .utf8) + """
                dead:
                  hosts:
                    ghost: {ansible_host: 198.18.2.250, via: bastion1}
                    v01: {ansible_host: 198.18.2.251, via: ghost}
            """)
        let (status, nodes, stderr) = try probe(["-i", inventory, "--via-mode", "tunnel", "dead:branch1"])
        #expect(status == 4, "\(stderr)")
        let ghost = probeFigures(nodes["ghost"])
        #expect(ghost["state"] as? String == "failed" && ghost["cause"] as? String == "other", "\(ghost)")
        #expect((ghost["message"] as? String ?? "").contains("198.18.2.250:22 is unreachable from it"), "\(ghost)")
        let v01 = probeFigures(nodes["v01"])
        #expect(v01["state"] as? String == "unreachable" && v01["blocked_by"] as? String == "ghost", "\(v01)")
        #expect(probeFigures(nodes["bastion1"])["state"] as? String == "up")
        #expect(probeFigures(nodes["t01"])["state"] as? String == "up")
    }
}
}

/// A TCP port on loopback that accepts connections (the kernel does, from the backlog) and never says a word.
final class SilentListener {
    let fd: CInt
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw Lab.LabError("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
