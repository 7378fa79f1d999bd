import Foundation
import RhizomeController
import Testing

/// `make install` and `make uninstall`, and how an installed controller finds its agent.
@Suite struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// What `make install PREFIX=/usr/local` writes, below DESTDIR.
    static let installed = [
        "usr/local/bin/rhizome", "usr/local/libexec/rhizome/rhizome-agent", "usr/local/libexec/rhizome/rhizome-agent.gz",
        "usr/local/share/man/man1/rhizome.1", "usr/local/share/bash-completion/completions/rhizome",
        "usr/local/share/zsh/site-functions/_rhizome", "usr/local/share/fish/vendor_completions.d/rhizome.fish",
    ]

    /// The directory of what `make build` made, when it made all of it (`make test` does).
    static let built: String? = {
        let candidates = [ProcessInfo.processInfo.environment["RHIZOME_BIN"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().path },
                          root.appendingPathComponent("bin").path].compactMap { $0 }
        let found = candidates.first { dir in
            ["rhizome", "rhizome-agent", "rhizome-agent.gz"].allSatisfy { FileManager.default.fileExists(atPath: dir + "/" + $0) }
        }
        if found == nil { print("notice: bin/ has no `make build` output; the make install test is skipped") }
        return found
    }()

    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rhizome-install-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("an installed controller finds the agent in PREFIX/libexec/rhizome; one in a build tree, the agent beside it")
    func locator() throws {
        let prefix = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let agent = prefix.appendingPathComponent("libexec/rhizome/rhizome-agent")
        try FileManager.default.createDirectory(at: agent.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: agent.path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        let controller = prefix.appendingPathComponent("bin/rhizome").path
        #expect(try AgentLocator.locate(environment: [:], executablePaths: [controller]) == agent.path)

        let beside = prefix.appendingPathComponent("bin/rhizome-agent")
        try FileManager.default.createDirectory(at: beside.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: beside.path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        #expect(try AgentLocator.locate(environment: [:], executablePaths: [controller]) == beside.path)

        #expect {
            _ = try AgentLocator.locate(environment: [:], executablePaths: ["/nonexistent/bin/rhizome"])
        } throws: { error in
            "\(error)".contains("/nonexistent/bin/rhizome-agent, /nonexistent/libexec/rhizome/rhizome-agent")
        }
    }

    @Test("make install DESTDIR= puts every file in place, the installed controller runs a task, make uninstall removes exactly those",
          .enabled(if: built != nil, "needs make build"))
    func installAndUninstall() throws {
        let destination = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: destination) }
        let variables = ["DESTDIR=\(destination.path)", "PREFIX=/usr/local", "BIN=\(Self.built!)"]

        let install = try Self.run("/usr/bin/make", ["-s", "-C", Self.root.path, "install"] + variables)
        #expect(install.status == 0, "\(install.output)")
        for file in Self.installed {
            let path = destination.appendingPathComponent(file).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(size > 0, "\(file) missing or empty")
        }
        let bash = try String(contentsOf: destination.appendingPathComponent(Self.installed[4]), encoding: .utf8)
        #expect(bash.contains("_rhizome") && bash.contains("complete"))
        let manual = try String(contentsOf: destination.appendingPathComponent(Self.installed[3]), encoding: .utf8)
        #expect(manual.contains(".Dt RHIZOME 1") && manual.contains("Fl -task-timeout") && manual.contains("Fl -show-secrets"))

        // The installed controller, without RHIZOME_AGENT, finds the installed agent.
        let inventory = destination.appendingPathComponent("hosts.ini")
        try Data("here ansible_connection=local\n".utf8).write(to: inventory)
        let ping = try Self.run(destination.appendingPathComponent("usr/local/bin/rhizome").path,
                                ["exec", "-i", inventory.path, "all", "-m", "ping"], removing: ["RHIZOME_AGENT"])
        #expect(ping.status == 0, "\(ping.output)")
        #expect(ping.output.contains("here | SUCCESS"))
        try FileManager.default.removeItem(at: inventory)

        let uninstall = try Self.run("/usr/bin/make", ["-s", "-C", Self.root.path, "uninstall"] + variables)
        #expect(uninstall.status == 0, "\(uninstall.output)")
        let left = FileManager.default.enumerator(atPath: destination.path)?.compactMap { $0 as? String }.filter { name in
            var directory: ObjCBool = false
            FileManager.default.fileExists(atPath: destination.appendingPathComponent(name).path, isDirectory: &directory)
            return !directory.boolValue
        } ?? []
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("usr/local/libexec/rhizome").path))
    }

    static func run(_ executable: String, _ arguments: [String], removing: [String] = []) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in removing { environment[name] = nil }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
