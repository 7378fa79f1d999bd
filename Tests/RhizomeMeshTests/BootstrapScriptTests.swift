import Foundation
import RhizomeStore
import Testing
@testable import RhizomeMesh

/// The bootstrap stage, run for real by /bin/sh on this machine: the same
/// script a target runs, with a fake "agent" that only says it started.
@Suite("bootstrap stage")
struct BootstrapScriptTests {
    /// A stand-in agent: prints the start marker and its own arguments.
    static let fakeAgent = Array("#!/bin/sh\necho \"\(BootstrapScript.agentMarker)1 $*\"\n".utf8)

    /// Runs the stage in a scratch XDG_RUNTIME_DIR and feeds it `answer`.
    func runStage(answer: (String) -> [UInt8], environment extra: [String: String] = [:]) throws -> (stdout: String, status: Int32, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rz-stage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", BootstrapScript.remoteCommand]
        var environment = ["PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": directory, "HOME": directory]
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Read the stage line, then answer.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        let stageLine = String(decoding: seen, as: UTF8.self)
        input.fileHandleForWriting.write(Data(answer(stageLine)))
        try input.fileHandleForWriting.close()
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (stageLine + String(decoding: rest, as: UTF8.self), process.terminationStatus, directory)
    }

    @Test("the stage is one line and survives quoting")
    func oneLine() {
        #expect(!BootstrapScript.stage.contains("\n"))
        #expect(BootstrapScript.remoteCommand.hasPrefix("exec /bin/sh -c '"))
        #expect(BootstrapScript.shellQuote("it's") == "'it'\\''s'")
    }

    @Test("raw upload: the stage checks the digest, installs, and execs the agent with its path")
    func rawUpload() throws {
        let digest = Digest.sha256(Self.fakeAgent)
        let result = try runStage { _ in Array("raw \(Self.fakeAgent.count) \(digest.hex)\n".utf8) + Self.fakeAgent }
        #expect(result.status == 0)
        #expect(result.stdout.contains("\(BootstrapScript.stageMarker)gzip=1 sha256sum=1 dir=\(result.directory)"))
        #expect(result.stdout.contains("\(BootstrapScript.agentMarker)1 --stage-path \(result.directory)/.rhizome-agent-"))
        // The fake agent does not remove itself; only it is left (no temp file, no probe).
        let left = try FileManager.default.contentsOfDirectory(atPath: result.directory)
        #expect(left.count == 1 && left[0].hasPrefix(".rhizome-agent-") && !left[0].hasSuffix(".tmp"), "\(left)")
    }

    @Test("gzip upload is decompressed on the target")
    func gzipUpload() throws {
        let digest = Digest.sha256(Self.fakeAgent)
        let gz = try Gzip.compress(Self.fakeAgent)
        let result = try runStage { _ in Array("gz \(gz.count) \(digest.hex)\n".utf8) + gz }
        #expect(result.status == 0)
        #expect(result.stdout.contains(BootstrapScript.agentMarker + "1 --stage-path"))
    }

    @Test("a digest mismatch stops the stage and leaves nothing behind")
    func digestMismatch() throws {
        let wrong = Digest.sha256([1, 2, 3])
        let result = try runStage { _ in Array("raw \(Self.fakeAgent.count) \(wrong.hex)\n".utf8) + Self.fakeAgent }
        #expect(result.status == 96)
        #expect(result.stdout.contains("\(BootstrapScript.stageErrorMarker)digest mismatch: got \(Digest.sha256(Self.fakeAgent).hex)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: result.directory).isEmpty)
    }

    @Test("with no usable directory the stage says so")
    func noDirectory() throws {
        // Every candidate is missing or unwritable: point them all at a file.
        let result = try runStage(answer: { _ in [] }, environment: ["XDG_RUNTIME_DIR": "/nonexistent", "HOME": "/proc"])
        // /dev/shm or /tmp may still exist here; only assert the error path when they are unusable.
        if !result.stdout.contains(BootstrapScript.stageMarker) {
            #expect(result.stdout.contains("no writable directory that allows execution"))
            #expect(result.status == 97)
        }
    }
}
