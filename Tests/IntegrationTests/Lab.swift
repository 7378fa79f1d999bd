import Foundation
import Testing

/// Every suite that uses the lab, run one after another: they share hosts,
/// and one suite's processes must not show up in another's checks.
@Suite("lab", .serialized, .enabled(if: Lab.isAvailable, "needs root, sshd and `make build`"))
struct LabTests {}

/// The network-namespace lab (`topology/lab`) as the integration tests use it.
enum Lab {
    /// The repository root, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func topology(_ name: String) -> String { root.appendingPathComponent("topology/\(name).yml").path }

    static let clientKey = "/run/rhizome-lab/id_ed25519"
    static let wrongKey = "/run/rhizome-lab/wrong_ed25519"
    static let knownHosts = "/run/rhizome-lab/known_hosts"

    /// The static agent: `$RHIZOME_AGENT`, else `bin/rhizome-agent`.
    static var agentPath: String {
        ProcessInfo.processInfo.environment["RHIZOME_AGENT"] ?? root.appendingPathComponent("bin/rhizome-agent").path
    }

    /// The controller CLI: `$RHIZOME_BIN`, else `bin/rhizome`.
    static var rhizomePath: String {
        ProcessInfo.processInfo.environment["RHIZOME_BIN"] ?? root.appendingPathComponent("bin/rhizome").path
    }

    /// The lab needs root (namespaces), sshd, and built binaries (`make build`).
    static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
            && FileManager.default.isExecutableFile(atPath: agentPath)
            && FileManager.default.isExecutableFile(atPath: rhizomePath)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var up: Set<String> = []

    /// Brings a topology up once per test process (`lab up` is idempotent).
    static func ensureUp(_ name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        if up.contains(name) { return }
        let result = try run(root.appendingPathComponent("topology/lab").path, ["up", topology(name)])
        guard result.status == 0 else {
            throw LabError("topology/lab up \(name) failed (\(result.status)): \(result.stderr)\(result.stdout)")
        }
        up.insert(name)
    }

    /// Runs a command inside a lab host's network and mount namespaces.
    static func exec(_ topologyName: String, _ host: String, _ command: [String]) throws -> ProcessResult {
        try run(root.appendingPathComponent("topology/lab").path, ["exec", topology(topologyName), host, "--"] + command)
    }

    /// Files of ours in a host's scratch places (/tmp, /dev/shm, /var/tmp,
    /// root's home). Everything Rhizome writes there (agent, stage probe,
    /// module and argument files, copy temporaries) has "rhizome" in its name;
    /// other tools' files (a peer benchmark's ~/.ansible) are not ours.
    static func scratchFiles(_ topologyName: String, _ host: String) throws -> [String] {
        let result = try exec(topologyName, host, ["sh", "-c", "find /tmp /dev/shm /var/tmp /root -mindepth 1 2>/dev/null"])
        return result.stdout.split(separator: "\n").map(String.init).filter { $0.contains("rhizome") }
    }

    /// Pids of processes in a host's network namespace whose command line
    /// contains `fragment`. (The lab shares one PID namespace, so `pgrep`
    /// inside a host would see every host's processes.)
    static func processes(_ topologyName: String, _ host: String, matching fragment: String) throws -> [Int32] {
        let result = try run(root.appendingPathComponent("topology/lab").path, ["pids", topology(topologyName), host])
        let pids = result.stdout.split(whereSeparator: { $0 == "\n" || $0 == " " }).compactMap { Int32($0) }
        return pids.filter { pid in
            let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            let cmdline = String(decoding: raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return cmdline.contains(fragment)
        }
    }

    /// Pids of rhizome agents on a host (the agent's file name starts with .rhizome-agent).
    static func agentPids(_ topologyName: String, _ host: String) throws -> [Int32] {
        try processes(topologyName, host, matching: ".rhizome-agent-")
    }

    /// Polls `condition` every 50 ms for at most `seconds`; true once it holds.
    static func eventually(within seconds: Double = 3, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(50_000)
        } while Date() < deadline
        return try condition()
    }

    /// Runs the CLI.
    static func rhizome(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        env["RHIZOME_AGENT"] = agentPath
        env["SSH_AUTH_SOCK"] = nil
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        return try run(rhizomePath, arguments, environment: env)
    }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct LabError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs a program to completion, with a hard time limit.
    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                    timeout: Double = 120) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = LockedData()
        let errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw LabError("\(path) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: outData.get(), as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
        func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
    }

    /// Writes a temporary file and returns its path.
    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rhizome-tests-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
