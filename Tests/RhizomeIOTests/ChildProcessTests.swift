#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import Testing

@Suite struct ChildProcessTests {
    struct Outcome {
        var stdout: String
        var stderr: String
        var termination: ChildProcess.Termination
    }

    /// Runs a child with no input to completion.
    func run(_ arguments: [String], environment: [String] = testEnvironment, directory: String? = nil) throws -> Outcome {
        let child = try ChildProcess.spawn(arguments: arguments, environment: environment, directory: directory)
        child.stdin?.close()
        defer { child.stdout.close(); child.stderr.close() }
        guard let out = try readToEnd(child.stdout), let err = try readToEnd(child.stderr) else {
            child.killGroup()
            _ = child.wait()
            Issue.record("\(arguments) did not finish in time")
            return Outcome(stdout: "", stderr: "", termination: .exited(-1))
        }
        return Outcome(stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                       termination: child.wait())
    }

    @Test func stdoutStderrAndExitStatusAreSeparate() throws {
        let outcome = try run(["/bin/sh", "-c", "echo out; echo err >&2; echo more; exit 3"])
        #expect(outcome.stdout == "out\nmore\n")
        #expect(outcome.stderr == "err\n")
        #expect(outcome.termination == .exited(3))
    }

    @Test(arguments: [0, 1, 2, 42, 127, 255])
    func exitStatusIsReported(code: Int32) throws {
        #expect(try run(["/bin/sh", "-c", "exit \(code)"]).termination == .exited(code))
    }

    @Test(arguments: [SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR1])
    func deathBySignalIsReportedAsSignalled(signal: Int32) throws {
        #expect(try run(["/bin/sh", "-c", "kill -\(signal) $$"]).termination == .signalled(signal))
    }

    @Test func environmentIsExactlyTheOneGiven() throws {
        let outcome = try run(["/usr/bin/env"], environment: ["A=1", "B=two words", "EMPTY="])
        #expect(outcome.stdout == "A=1\nB=two words\nEMPTY=\n")
        #expect(try run(["/usr/bin/env"], environment: []).stdout == "")
    }

    @Test func argumentsArePassedVerbatim() throws {
        let arguments = ["printf", "[%s]", "a b", "", "$HOME", "*", "'\"", "ünï"]
        #expect(try run(arguments).stdout == "[a b][][$HOME][*]['\"][ünï]")
    }

    @Test func childRunsInTheGivenDirectory() throws {
        try withTemporaryDirectory { directory in
            let outcome = try run(["/bin/pwd", "-P"], directory: directory)
            #expect(outcome.stdout == realPath(directory) + "\n")
            #expect(outcome.termination == .exited(0))
        }
    }

    @Test func missingDirectoryFailsTheSpawn() throws {
        do {
            let child = try ChildProcess.spawn(arguments: ["/bin/true"], environment: [], directory: "/nonexistent/rhizome")
            _ = child.wait()
            Issue.record("the child started without its directory")
        } catch {
            #expect(error.rawValue == ENOENT)
        }
    }

    @Test func programWithoutSlashIsLookedUpInPath() throws {
        #expect(try run(["sh", "-c", "exit 7"]).termination == .exited(7))
    }

    @Test func lookupUsesThePathOfTheChildsEnvironment() throws {
        try withTemporaryDirectory { directory in
            let tool = directory + "/rhizome-test-tool"
            try writeExecutable(tool, "#!/bin/sh\necho found \"$@\"\n")
            let outcome = try run(["rhizome-test-tool", "it"], environment: ["PATH=/nonexistent:\(directory):/usr/bin:/bin"])
            #expect(outcome.stdout == "found it\n")
            #expect(outcome.termination == .exited(0))
        }
    }

    @Test func lookupSkipsDirectoriesAndFilesThatAreNotExecutable() throws {
        try withTemporaryDirectory { directory in
            // First on the path: a directory and a plain file of the same name.
            #expect(mkdir(directory + "/a", 0o755) == 0)
            #expect(mkdir(directory + "/a/rhizome-test-tool", 0o755) == 0)
            #expect(mkdir(directory + "/b", 0o755) == 0)
            try writeFile(directory + "/b/rhizome-test-tool", "echo wrong\n", mode: 0o644)
            #expect(mkdir(directory + "/c", 0o755) == 0)
            try writeExecutable(directory + "/c/rhizome-test-tool", "#!/bin/sh\necho right\n")
            let path = "PATH=\(directory)/a:\(directory)/b:\(directory)/c"
            #expect(try run(["rhizome-test-tool"], environment: [path]).stdout == "right\n")
        }
    }

    @Test(arguments: ["rhizome-no-such-program", "/nonexistent/rhizome-no-such-program"])
    func missingProgramThrowsENOENT(program: String) throws {
        do {
            let child = try ChildProcess.spawn(arguments: [program], environment: testEnvironment)
            _ = child.wait()
            Issue.record("\(program) started")
        } catch {
            #expect(error.rawValue == ENOENT)
            #expect(error.call.contains(program))
        }
    }

    @Test func programMissingFromTheChildsPathThrowsENOENT() throws {
        // `sh` is in the test's PATH but not in the child's.
        #expect(throws: Errno(ENOENT, call: "spawn sh")) {
            try ChildProcess.spawn(arguments: ["sh", "-c", "true"], environment: ["PATH=/nonexistent"])
        }
    }

    @Test(arguments: [[], [""]] as [[String]])
    func emptyCommandThrowsENOENT(arguments: [String]) {
        #expect(throws: Errno(ENOENT, call: "spawn")) {
            try ChildProcess.spawn(arguments: arguments, environment: [])
        }
    }

    @Test func fileWithoutExecutePermissionThrowsEACCES() throws {
        try withTemporaryDirectory { directory in
            let file = directory + "/not-executable"
            try writeFile(file, "#!/bin/sh\n", mode: 0o644)
            #expect(throws: Errno(EACCES, call: "spawn \(file)")) {
                try ChildProcess.spawn(arguments: [file], environment: [])
            }
        }
    }

    @Test func inputReachesTheChildAndClosingItEndsTheInput() throws {
        let child = try ChildProcess.spawn(arguments: ["cat"], environment: testEnvironment)
        defer { child.stdout.close(); child.stderr.close() }
        let input = try #require(child.stdin)
        try input.writeAll(Array("hello\nworld".utf8))
        // cat only sees end of input if no copy of the write end leaked into it.
        input.close()
        let output = try readToEnd(child.stdout)
        if output == nil { child.killGroup() }
        #expect(output == Array("hello\nworld".utf8))
        #expect(child.wait() == .exited(0))
    }

    @Test func pollReturnsNilWhileTheChildRunsThenHowItEnded() throws {
        let child = try ChildProcess.spawn(arguments: ["cat"], environment: testEnvironment)
        defer { child.stdout.close(); child.stderr.close() }
        usleep(10_000)
        #expect(child.poll() == nil)
        child.stdin?.close()
        var termination: ChildProcess.Termination?
        #expect(waitUntil { termination = child.poll(); return termination != nil })
        if termination == nil { child.killGroup(); _ = child.wait() }
        #expect(termination == .exited(0))
    }

    @Test func childLeadsANewSessionAndProcessGroup() throws {
        let child = try ChildProcess.spawn(arguments: ["sleep", "30"], environment: testEnvironment)
        defer { child.stdin?.close(); child.stdout.close(); child.stderr.close() }
        #expect(getpgid(child.pid) == child.pid)
        #expect(getsid(child.pid) == child.pid)
        #expect(getsid(child.pid) != getsid(0))
        child.killGroup()
        #expect(child.wait() == .signalled(SIGKILL))
    }

    @Test func killGroupDefaultsToSIGKILLAndKillsBackgroundGrandchildren() throws {
        try withTemporaryDirectory { directory in
            let pidFile = directory + "/grandchild.pid"
            let child = try ChildProcess.spawn(
                arguments: ["/bin/sh", "-c", "sleep 300 & echo $! > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; exec sleep 300", "sh", pidFile],
                environment: testEnvironment)
            defer { child.stdin?.close(); child.stdout.close(); child.stderr.close() }
            var grandchild: pid_t = 0
            #expect(waitUntil { grandchild = readFile(pidFile).flatMap { pid_t($0.filter(\.isNumber)) } ?? 0; return grandchild > 0 })
            guard grandchild > 0 else {
                child.killGroup()
                _ = child.wait()
                return
            }
            defer { if !processHasEnded(grandchild) { kill(grandchild, SIGKILL) } }
            #expect(!processHasEnded(grandchild))
            #expect(getpgid(grandchild) == child.pid)

            child.killGroup()
            #expect(child.wait() == .signalled(SIGKILL))
            #expect(waitUntil { processHasEnded(grandchild) }, "the background grandchild survived")
        }
    }

    @Test func childGetsDefaultSIGPIPEEvenIfTheParentIgnoresIt() throws {
        ignoreBrokenPipes()
        let child = try ChildProcess.spawn(arguments: ["head", "-c", "4000000", "/dev/zero"], environment: testEnvironment)
        child.stdin?.close()
        child.stderr.close()
        // More than a pipe holds: head blocks, then its write fails once the reader is gone.
        child.stdout.close()
        var termination: ChildProcess.Termination?
        #expect(waitUntil { termination = child.poll(); return termination != nil })
        if termination == nil { child.killGroup(); _ = child.wait() }
        #expect(termination == .signalled(SIGPIPE))
    }

    @Test func childStartsWithNoBlockedSignals() throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        // With SIGTERM blocked, the shell would survive its own kill and exit 0.
        #expect(try run(["/bin/sh", "-c", "kill -TERM $$; exit 0"]).termination == .signalled(SIGTERM))
    }
}

func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw Errno.current("open") }
    defer { close(fd) }
    try FileDescriptor(rawValue: fd).writeAll(Array(text.utf8))
    _ = fchmod(fd, mode)
}

func writeExecutable(_ path: String, _ text: String) throws {
    try writeFile(path, text, mode: 0o755)
}

@Suite struct ChildProcessLookupTests {
    @Test func relativePathEntriesAreRelativeToTheChildsDirectory() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/bin", 0o755) == 0)
            try writeExecutable(directory + "/bin/rhizome-test-tool", "#!/bin/sh\necho relative\n")
            let child = try ChildProcess.spawn(arguments: ["rhizome-test-tool"], environment: ["PATH=bin:/usr/bin:/bin"],
                                               directory: directory)
            child.stdin?.close()
            defer { child.stdout.close(); child.stderr.close() }
            #expect(try readToEnd(child.stdout) == Array("relative\n".utf8))
            #expect(child.wait() == .exited(0))
        }
    }

    @Test func withoutPathTheDefaultSearchPathIsUsed() throws {
        let child = try ChildProcess.spawn(arguments: ["sh", "-c", "exit 5"], environment: [])
        child.stdin?.close()
        defer { child.stdout.close(); child.stderr.close() }
        #expect(child.wait() == .exited(5))
    }
}
