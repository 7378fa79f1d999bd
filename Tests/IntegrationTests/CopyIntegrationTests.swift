import Foundation
import Testing

extension LabTests {
/// `copy` on real targets, direct and behind a relay: Ansible's directory
/// rules, and modes from the login's umask rather than the agent's 077.
@Suite("copy on targets", .serialized)
struct CopyIntegrationTests {
    let tree = Lab.topology("tree")
    let root = "/tmp/rz-copy-modes"

    init() throws {
        try Lab.ensureUp("tree")
        for host in ["bastion1", "t01"] { _ = try Lab.exec("tree", host, ["rm", "-rf", root]) }
    }

    func mode(_ host: String, _ path: String) throws -> String {
        try Lab.exec("tree", host, ["stat", "-c", "%a", path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("dest/ is created, a missing directory fails with Ansible's message, new files follow the login umask")
    func directoriesAndModes() throws {
        defer { for host in ["bastion1", "t01"] { _ = try? Lab.exec("tree", host, ["rm", "-rf", root]) } }
        let source = try Lab.temporaryFile("copy-modes.txt", "modes\n")
        let created = try Lab.rhizome(["exec", "-i", tree, "bastion1:t01", "-m", "copy", "-a", "src=\(source) dest=\(root)/a/b/"])
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")

        // The umask the stage found at login, before it set 077 for the agent.
        let umasks = try Lab.rhizome(["exec", "-i", tree, "bastion1:t01", "-m", "shell", "-a", "echo \"$RHIZOME_UMASK\""])
        #expect(umasks.status == 0)
        for host in ["bastion1", "t01"] {
            let line = try #require(umasks.stdout.components(separatedBy: "\(host) | CHANGED | rc=0 >>\n").dropFirst().first)
            let mask = try #require(Int(line.prefix { $0 != "\n" }, radix: 8), "\(umasks.stdout)")
            #expect(try mode(host, "\(root)/a/b") == String(0o777 & ~mask, radix: 8), "\(host)")
            #expect(try mode(host, "\(root)/a/b/copy-modes.txt") == String(0o666 & ~mask, radix: 8), "\(host)")
            #expect(mask != 0o077, "the agent's umask leaked into the login's")
        }

        let missing = try Lab.rhizome(["exec", "-i", tree, "t01", "-m", "copy", "-a", "content=x dest=\(root)/nowhere/file"])
        #expect(missing.status == 2)
        #expect(missing.stdout.contains("\"msg\": \"Destination directory \(root)/nowhere does not exist\""), "\(missing.stdout)")
    }
}
}
