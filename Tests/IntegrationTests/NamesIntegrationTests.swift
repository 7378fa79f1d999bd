import Foundation
import Testing

/// Names resolved where the connection starts, and known_hosts matched by the
/// name as written at every hop (topology/names.yml: gate1 → gate2.behind →
/// deep.behind, side.behind, names only the host in front resolves).
extension LabTests {
@Suite("names and host keys behind relays", .serialized)
struct NamesIntegrationTests {
    let topology = Lab.topology("names")
    let hosts = ["gate1", "gate2", "deep", "side"]

    init() throws {
        try Lab.ensureUp("names")
    }

    /// A host's public key as the lab generated it: `ssh-ed25519 AAAA…`.
    func hostKey(_ host: String) throws -> String {
        try String(contentsOfFile: "/run/rhizome-lab/names/hosts/\(host)/ssh_host_ed25519_key.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// A fresh directory for one test's files.
    func scratch(_ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rz-names-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// `name key` hashed as `ssh-keygen -H` writes it.
    func hashed(_ line: String, in directory: String) throws -> String {
        let file = directory + "/to-hash"
        try (line + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Lab.run("/usr/bin/ssh-keygen", ["-H", "-f", file]).status == 0)
        return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// known_hosts written by name, one entry per host in the forms OpenSSH matches
    /// (an address, a hashed name, a plain name, a wildcard pattern), after comments
    /// so that no entry is on line 1. `keys` replaces a host's key.
    func knownHosts(in directory: String, keys: [String: String] = [:]) throws -> (path: String, lines: [String: Int]) {
        func key(_ host: String) throws -> String { try keys[host] ?? hostKey(host) }
        let lines = [
            "# known_hosts of the names lab, written by name",
            "198.18.9.2 \(try key("gate1"))",
            "# gate2.behind, hashed",
            try hashed("gate2.behind \(try key("gate2"))", in: directory),
            "s?de.behind,!gate2.behind \(try key("side"))",
            "",
            "deep.behind \(try key("deep"))",
        ]
        let path = directory + "/known_hosts"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, ["gate1": 2, "gate2": 4, "side": 5, "deep": 7])
    }

    /// The topology's inventory, pointed at `knownHosts`, with `extra` hosts added.
    func inventory(_ directory: String, knownHosts: String, extra: String = "") throws -> String {
        let text = try String(contentsOfFile: topology, encoding: .utf8)
            .replacingOccurrences(of: "/run/rhizome-lab/names/known_hosts_by_name", with: knownHosts) + extra
        let path = directory + "/inventory.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("names only the relay resolves are reached through it, with known_hosts written by name")
    func reachedByName() throws {
        // The controller cannot resolve them: only the hop in front has them in its /etc/hosts.
        #expect(try Lab.run("/usr/bin/getent", ["hosts", "deep.behind"]).status != 0)
        #expect(try Lab.exec("names", "gate2", ["getent", "hosts", "deep.behind"]).stdout.contains("198.18.9.4"))
        #expect(try Lab.exec("names", "gate1", ["getent", "hosts", "deep.behind"]).status != 0)

        let directory = try scratch("by-name")
        let known = try knownHosts(in: directory)
        let run = try Lab.rhizome(["exec", "-i", try inventory(directory, knownHosts: known.path), "all",
                                   "--host-key-checking", "strict", "-a", "hostname"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for host in hosts {
            #expect(run.stdout.contains("\(host) | CHANGED | rc=0 >>\n\(host)\n"), "\(run.stdout)")
        }
    }

    @Test("a name the relay cannot resolve fails that host only, naming the relay")
    func unresolvableName() throws {
        let directory = try scratch("unresolvable")
        let known = try knownHosts(in: directory)
        let extra = """

                ghost:
                  ansible_host: nosuch.behind
                  via: gate2

            """
        let run = try Lab.rhizome(["exec", "-i", try inventory(directory, knownHosts: known.path, extra: extra), "all",
                                   "-a", "true"])
        #expect(run.status == 4)
        #expect(run.stdout.contains("ghost | UNREACHABLE! => {"))
        #expect(run.stdout.contains("connect failed (via gate2)"), "\(run.stdout)")
        #expect(run.stdout.contains("cannot resolve nosuch.behind"), "\(run.stdout)")
        #expect(run.stdout.contains("hosts file"), "\(run.stdout)")
        for host in hosts {
            #expect(run.stdout.contains("\(host) | CHANGED | rc=0 >>"), "\(run.stdout)")
        }
    }

    /// gate1 is hop 1 (checked by the controller), gate2 hop 2 (checked by gate1), deep hop 3 (checked by gate2).
    @Test("a host key mismatch at hop 1, 2 or 3 refuses that host's subtree only, naming its known_hosts line",
          arguments: [("gate1", ["gate2", "deep", "side"]), ("gate2", ["deep", "side"]), ("deep", [String]())])
    func mismatchAtEveryDepth(forged: String, below: [String]) throws {
        let directory = try scratch("mismatch-\(forged)")
        #expect(try Lab.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/impostor"]).status == 0)
        let impostor = try String(contentsOfFile: directory + "/impostor.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let known = try knownHosts(in: directory, keys: [forged: impostor])
        let run = try Lab.rhizome(["exec", "-i", try inventory(directory, knownHosts: known.path), "all", "-a", "true"])
        #expect(run.status == 4)
        let lookup = forged == "gate1" ? "198.18.9.2" : "\(forged).behind"
        #expect(run.stdout.contains("\(forged) | UNREACHABLE! => {"), "\(run.stdout)")
        #expect(run.stdout.contains("HOST KEY MISMATCH for \(lookup)"), "\(run.stdout)")
        // The line to fix, in the file the run used: never another host's line.
        let line = try #require(known.lines[forged])
        #expect(run.stdout.contains("\(known.path):\(line))"), "\(run.stdout)")
        for other in known.lines where other.key != forged {
            #expect(!run.stdout.contains("\(known.path):\(other.value))"), "\(run.stdout)")
        }
        for host in below {
            #expect(run.stdout.contains("\(host) | UNREACHABLE! => {"), "\(run.stdout)")
        }
        for host in hosts where host != forged && !below.contains(host) {
            #expect(run.stdout.contains("\(host) | CHANGED | rc=0 >>"), "\(run.stdout)")
        }
    }

    @Test("@revoked and @cert-authority are refused at a relay, naming their lines")
    func markersAtARelay() throws {
        let directory = try scratch("markers")
        let known = try knownHosts(in: directory)
        var text = try String(contentsOfFile: known.path, encoding: .utf8)
        // Line 8: deep's real key revoked. Line 9: side vouched for by an authority only.
        text += "@revoked * \(try hostKey("deep"))\n@cert-authority *.behind \(try hostKey("gate1"))\n"
        text = text.replacingOccurrences(of: "s?de.behind,!gate2.behind \(try hostKey("side"))", with: "# side: only its CA")
        try text.write(toFile: known.path, atomically: true, encoding: .utf8)
        let run = try Lab.rhizome(["exec", "-i", try inventory(directory, knownHosts: known.path), "all",
                                   "--host-key-checking", "accept-new", "-a", "true"])
        #expect(run.status == 4)
        #expect(run.stdout.contains("REVOKED HOST KEY for deep.behind"), "\(run.stdout)")
        #expect(run.stdout.contains("\(known.path):8"), "\(run.stdout)")
        #expect(run.stdout.contains("side.behind is vouched for only by @cert-authority (\(known.path):9)"), "\(run.stdout)")
        #expect(run.stdout.contains("gate2 | CHANGED | rc=0 >>"), "\(run.stdout)")
        // Nothing was accepted for the refused hosts.
        #expect(!(try String(contentsOfFile: known.path, encoding: .utf8)).contains("side.behind ssh-ed25519"))
    }
}
}
