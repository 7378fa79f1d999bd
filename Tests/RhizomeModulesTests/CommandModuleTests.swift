#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeModules
import RhizomeWire
import Testing

@Suite struct CommandModuleTests {
    @Test func argvIsPassedWithoutAShell() throws {
        let sink = try run(task("command", nil, [("argv", ["printf", "[%s]", "a b", "", "$HOME", "*"])]))
        #expect(sink.stdoutText == "[a b][][$HOME][*]")
        let result = try #require(sink.result)
        #expect(result.rc == 0)
        #expect(result.signal == nil)
        #expect(!result.failed)
        #expect(result.changed)
        #expect(result.message == "")
        #expect(result.stdoutDropped == 0 && result.stderrDropped == 0)
        #expect(result.start > 0 && result.end >= result.start)
        #expect(sink.results.count == 1)
    }

    @Test func rawParamsAreSplitLikeShlex() throws {
        let sink = try run(task("command", #"printf '[%s]' 'a b' "c d" e\ f "\$x""#))
        #expect(sink.stdoutText == #"[a b][c d][e f][\$x]"#)
        #expect(sink.result?.rc == 0)
    }

    @Test func cmdIsAnotherNameForTheCommandLine() throws {
        #expect(try run(task("command", nil, [("cmd", "echo hi")])).stdoutText == "hi\n")
    }

    @Test func commandDoesNotInterpretShellSyntax() throws {
        let sink = try run(task("command", "echo $HOME | cat > /nonexistent/x; exit 3"))
        #expect(sink.stdoutText == "$HOME | cat > /nonexistent/x; exit 3\n")
        #expect(sink.result?.rc == 0)
    }

    @Test func shellRunsPipelines() throws {
        let sink = try run(task("shell", "printf 'b\\na\\nc\\n' | sort | tr a-z A-Z"))
        #expect(sink.stdoutText == "A\nB\nC\n")
        #expect(sink.result?.rc == 0)
    }

    @Test func shellTakesItsScriptFromCmdToo() throws {
        #expect(try run(task("shell", nil, [("cmd", "echo $((6 * 7))")])).stdoutText == "42\n")
    }

    @Test(arguments: [(nil, "/bin/sh"), ("/bin/bash", "/bin/bash")] as [(String?, String)])
    func shellRunsTheGivenExecutable(executable: String?, expected: String) throws {
        let extra: [(String, WireValue)] = executable.map { [("executable", .string($0))] } ?? []
        #expect(try run(task("shell", "echo $0", extra)).stdoutText == expected + "\n")
    }

    @Test(arguments: [0, 1, 2, 42, 255] as [Int32])
    func exitStatusBecomesRc(code: Int32) throws {
        let result = try #require(try run(task("shell", "echo out; exit \(code)")).result)
        #expect(result.rc == code)
        #expect(result.failed == (code != 0))
        #expect(result.message == (code == 0 ? "" : "non-zero return code"))
        #expect(result.signal == nil)
        #expect(result.changed)
    }

    @Test func deathBySignalFailsTheTask() throws {
        let result = try #require(try run(task("shell", "kill -TERM $$")).result)
        #expect(result.signal == SIGTERM)
        #expect(result.rc == -SIGTERM)
        #expect(result.failed)
        #expect(result.message == "killed by signal \(SIGTERM)")
    }

    @Test func stdoutAndStderrStaySeparateAndInOrder() throws {
        let sink = try run(task("shell", "for i in $(seq 1 300); do echo out$i; echo err$i >&2; done"))
        #expect(sink.stdoutText == (1 ... 300).map { "out\($0)\n" }.joined())
        #expect(sink.stderrText == (1 ... 300).map { "err\($0)\n" }.joined())
        #expect(sink.result?.rc == 0)
    }

    @Test func onlyStderr() throws {
        let sink = try run(task("shell", "echo oops >&2; exit 1"))
        #expect(sink.stdout.isEmpty)
        #expect(sink.stderrText == "oops\n")
        #expect(sink.result?.rc == 1)
    }

    @Test func largeOutputArrivesComplete() throws {
        let expected = sequence(750_000)  // about 5 MB
        let sink = try run(task("command", "seq 1 750000"))
        #expect(sink.stdout.count == expected.count)
        #expect(sink.stdout == expected)
        #expect(sink.chunks.allSatisfy { !$0.bytes.isEmpty })
        #expect(sink.result?.rc == 0)
    }

    @Test func largeOutputOnBothStreamsAtOnce() throws {
        let expected = sequence(400_000)
        let sink = try run(task("shell", "seq 1 400000 & seq 1 400000 >&2; wait"))
        #expect(sink.stdout == expected)
        #expect(sink.stderr == expected)
        #expect(sink.result?.rc == 0)
    }

    @Test func emptyOutput() throws {
        let sink = try run(task("command", "true"))
        #expect(sink.chunks.isEmpty)
        #expect(sink.result?.rc == 0)
    }

    // MARK: Output cap

    @Test func outputCapCutsEachStreamAndCountsWhatWasDropped() throws {
        let sink = try run(task("shell", "head -c 5000 /dev/zero | tr '\\0' o; head -c 300 /dev/zero | tr '\\0' e >&2",
                                outputCap: 1000))
        #expect(sink.stdout == [UInt8](repeating: UInt8(ascii: "o"), count: 1000))
        #expect(sink.stderr == [UInt8](repeating: UInt8(ascii: "e"), count: 300))
        let result = try #require(sink.result)
        #expect(result.stdoutDropped == 4000)
        #expect(result.stderrDropped == 0)
        #expect(result.rc == 0)
        #expect(!result.failed)
    }

    @Test func outputCapAcrossManyReads() throws {
        let expected = sequence(750_000)
        let sink = try run(task("command", "seq 1 750000", outputCap: 100_000))
        #expect(sink.stdout == Array(expected.prefix(100_000)))
        #expect(sink.result?.stdoutDropped == UInt64(expected.count - 100_000))
        #expect(sink.result?.rc == 0)
    }

    @Test func outputExactlyAtTheCapDropsNothing() throws {
        let sink = try run(task("shell", "printf 0123456789; printf abcdefghij >&2", outputCap: 10))
        #expect(sink.stdoutText == "0123456789")
        #expect(sink.stderrText == "abcdefghij")
        #expect(sink.result?.stdoutDropped == 0)
        #expect(sink.result?.stderrDropped == 0)
    }

    // MARK: Timeout and cancellation

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        try withTemporaryDirectory { directory in
            let pidFile = directory + "/grandchild.pid"
            let started = Clock.seconds()
            // The background sleep keeps the output pipes open: the task can only
            // finish if it dies too.
            let sink = try run(task("shell", "sleep 300 & echo $! > \(pidFile); sleep 300", timeout: 0.5))
            let elapsed = Clock.seconds() - started
            let result = try #require(sink.result)
            #expect(result.failed)
            #expect(result.message == "timed out after 0.5 s; process group killed")
            #expect(result.signal == SIGKILL)
            #expect(elapsed >= 0.5)
            #expect(elapsed < 10)
            let grandchild = try #require(readFile(pidFile).flatMap { pid_t($0.filter(\.isNumber)) })
            #expect(waitUntil { processHasEnded(grandchild) }, "the background grandchild survived the timeout")
            if !processHasEnded(grandchild) { kill(grandchild, SIGKILL) }
        }
    }

    @Test func timeoutEndsTheTaskEvenIfAProcessLeftTheGroupWithThePipes() throws {
        try withTemporaryDirectory { directory in
            let pidFile = directory + "/escaped.pid"
            let started = Clock.seconds()
            let sink = try run(task("shell", "setsid sh -c 'echo $$ > \(pidFile); exec sleep 300' & sleep 300", timeout: 0.3))
            let elapsed = Clock.seconds() - started
            var escaped: pid_t = 0
            #expect(waitUntil { escaped = readFile(pidFile).flatMap { pid_t($0.filter(\.isNumber)) } ?? 0; return escaped > 0 })
            // The premise: killing the group spared it, and it still holds the pipes.
            #expect(escaped > 0 && !processHasEnded(escaped))
            if escaped > 0 && !processHasEnded(escaped) { kill(escaped, SIGKILL) }
            let result = try #require(sink.result)
            #expect(result.message == "timed out after 0.3 s; process group killed")
            #expect(result.signal == SIGKILL)
            #expect(elapsed < 10)
        }
    }

    @Test func wholeSecondTimeoutsAreWrittenWithoutAFraction() throws {
        let result = try #require(try run(task("command", "sleep 300", timeout: 1)).result)
        #expect(result.message == "timed out after 1 s; process group killed")
    }

    @Test func taskThatEndsInTimeIsNotKilled() throws {
        let result = try #require(try run(task("shell", "echo done", timeout: 30)).result)
        #expect(result.rc == 0)
        #expect(!result.failed)
    }

    @Test func cancelKillsTheTaskAndReportsTheReason() throws {
        let sink = try run(task("shell", "echo started; sleep 300 & sleep 300"), whileRunning: { _, running, sink in
            sink.onOutput = { _, _ in running.cancel(reason: "cancelled by the controller") }
        })
        let result = try #require(sink.result)
        #expect(sink.stdoutText == "started\n")
        #expect(result.failed)
        #expect(result.message == "cancelled by the controller")
        #expect(result.signal == SIGKILL)
        #expect(sink.results.count == 1)
    }

    @Test func cancelAfterTheEndChangesNothing() throws {
        let loop = try EventLoop()
        let sink = RecordingSink(loop: loop)
        let running = try #require(BuiltinModules.start(task("command", "true"), loop: loop, sink: sink,
                                                        baseEnvironment: testEnvironment))
        #expect(runBounded(loop, limit: 20))
        running.cancel(reason: "too late")
        running.resume()
        loop.schedule(after: 0.1) { loop.stop() }
        runBounded(loop, limit: 5)
        #expect(sink.results.count == 1)
        #expect(sink.result?.rc == 0)
        #expect(sink.result?.message == "")
    }

    // MARK: Input, directory, environment

    @Test func stdinGetsANewlineByDefault() throws {
        #expect(try run(task("command", "cat", [("stdin", "hello")])).stdoutText == "hello\n")
    }

    @Test(arguments: [WireValue.bool(false), "no", "false", 0])
    func stdinAddNewlineCanBeTurnedOff(flag: WireValue) throws {
        let sink = try run(task("command", "cat", [("stdin", "hello"), ("stdin_add_newline", flag)]))
        #expect(sink.stdoutText == "hello")
    }

    @Test func stdinAsBytes() throws {
        let bytes: [UInt8] = [0, 1, 2, 0xFF, 0x0A, 0x80]
        let sink = try run(task("command", "cat", [("stdin", .bytes(bytes)), ("stdin_add_newline", false)]))
        #expect(sink.stdout == bytes)
    }

    @Test func largeStdinPassesThroughWhileOutputIsRead() throws {
        let text = String(decoding: sequence(300_000), as: UTF8.self)  // about 2 MB, far beyond a pipe's buffer
        let sink = try run(task("command", "cat", [("stdin", .string(text)), ("stdin_add_newline", false)]))
        #expect(sink.stdoutText == text)
        #expect(sink.result?.rc == 0)
    }

    @Test func stdinThatIsNotReadIsDropped() throws {
        let text = String(repeating: "x", count: 1 << 20)
        let result = try #require(try run(task("command", "true", [("stdin", .string(text))])).result)
        #expect(result.rc == 0)
        #expect(!result.failed)
    }

    @Test func withoutStdinTheInputIsClosed() throws {
        let sink = try run(task("command", "cat"))
        #expect(sink.chunks.isEmpty)
        #expect(sink.result?.rc == 0)
    }

    @Test func chdirSetsTheWorkingDirectory() throws {
        try withTemporaryDirectory { directory in
            let sink = try run(task("command", "/bin/pwd -P", [("chdir", .string(directory))]))
            #expect(sink.stdoutText == realPath(directory) + "\n")
        }
    }

    @Test func missingChdirFailsTheTask() throws {
        let result = try #require(try run(task("command", "true", [("chdir", "/nonexistent/rhizome")])).result)
        #expect(result.failed)
        #expect(result.rc == nil)
        #expect(result.message.contains("chdir to /nonexistent/rhizome"))
    }

    @Test func taskEnvironmentOverridesTheBase() throws {
        let sink = try run(task("command", "/usr/bin/env", environment: ["FOO": "override", "NEW": "x", "A": "first"]),
                           environment: ["PATH=/usr/bin:/bin", "FOO=base", "KEEP=1", "NO_EQUALS_SIGN"])
        #expect(sink.stdoutText == "PATH=/usr/bin:/bin\nKEEP=1\nA=first\nFOO=override\nNEW=x\n")
    }

    @Test func pathFromTheTaskEnvironmentFindsTheCommand() throws {
        try withTemporaryDirectory { directory in
            try writeFile(directory + "/rhizome-test-tool", "#!/bin/sh\necho tool \"$@\"\n", mode: 0o755)
            let sink = try run(task("command", "rhizome-test-tool run", environment: ["PATH": "\(directory):/usr/bin:/bin"]))
            #expect(sink.stdoutText == "tool run\n")
            #expect(sink.result?.rc == 0)
        }
    }

    // MARK: creates / removes

    @Test func createsSkipsWhenThePathExists() throws {
        try withTemporaryDirectory { directory in
            let marker = directory + "/ran"
            try writeFile(directory + "/exists", "")
            let sink = try run(task("command", "touch \(marker)", [("creates", .string(directory + "/exists"))]))
            #expect(!fileExists(marker))
            #expect(sink.stdoutText == "skipped, since \(directory)/exists exists")
            let result = try #require(sink.result)
            #expect(result.rc == 0)
            #expect(!result.changed)
            #expect(!result.failed)
            #expect(result.message == "Did not run command since '\(directory)/exists' exists")
        }
    }

    @Test func createsRunsWhenThePathIsMissing() throws {
        try withTemporaryDirectory { directory in
            let marker = directory + "/ran"
            let sink = try run(task("command", "touch \(marker)", [("creates", .string(marker))]))
            #expect(fileExists(marker))
            #expect(sink.result?.changed == true)
        }
    }

    @Test func removesSkipsWhenThePathIsMissing() throws {
        try withTemporaryDirectory { directory in
            let marker = directory + "/ran"
            let sink = try run(task("command", "touch \(marker)", [("removes", .string(directory + "/missing"))]))
            #expect(!fileExists(marker))
            #expect(sink.stdoutText == "skipped, since \(directory)/missing does not exist")
            #expect(sink.result?.message == "Did not run command since '\(directory)/missing' does not exist")
            #expect(sink.result?.changed == false)
            #expect(sink.result?.rc == 0)
        }
    }

    @Test func removesRunsWhenThePathExists() throws {
        try withTemporaryDirectory { directory in
            try writeFile(directory + "/victim", "")
            let sink = try run(task("command", "rm \(directory)/victim", [("removes", .string(directory + "/victim"))]))
            #expect(!fileExists(directory + "/victim"))
            #expect(sink.result?.rc == 0)
            #expect(sink.result?.changed == true)
        }
    }

    @Test func relativeCreatesIsRelativeToChdir() throws {
        try withTemporaryDirectory { directory in
            try writeFile(directory + "/exists", "")
            let sink = try run(task("shell", "touch ran", [("chdir", .string(directory)), ("creates", "exists")]))
            #expect(sink.result?.changed == false)
            #expect(!fileExists(directory + "/ran"))
        }
    }

    // MARK: Failures to start

    @Test func missingExecutableFailsWithAClearMessage() throws {
        let sink = try run(task("command", "rhizome-no-such-command --flag"))
        let result = try #require(sink.result)
        #expect(result.failed)
        #expect(result.rc == nil)
        #expect(!result.changed)
        #expect(result.message == "cannot run rhizome-no-such-command: No such file or directory")
        #expect(sink.chunks.isEmpty)
        #expect(sink.results.count == 1)
    }

    @Test(arguments: [
        task("command"),
        task("command", ""),
        task("command", "   "),
        task("command", nil, [("argv", [])]),
        task("shell"),
        task("shell", ""),
    ])
    func missingCommandFails(request: RunTask) throws {
        let result = try #require(try run(request).result)
        #expect(result.failed)
        #expect(result.message == "no command given")
    }

    @Test func unbalancedQuotesFail() throws {
        let result = try #require(try run(task("command", "echo 'oops")).result)
        #expect(result.failed)
        #expect(result.message == "cannot split the command line: no closing quotation in: echo 'oops")
    }
}

@Suite struct ProcessTaskTests {
    @Test(arguments: [true, false])
    func changedComesFromTheOptions(changed: Bool) throws {
        let loop = try EventLoop()
        let sink = RecordingSink(loop: loop)
        let process = ProcessTask(loop: loop, sink: sink, options: .init(arguments: ["echo", "x"], environment: testEnvironment,
                                                                          changed: changed))
        process.start()
        #expect(runBounded(loop, limit: 20))
        #expect(sink.result?.changed == changed)
        #expect(sink.stdoutText == "x\n")
    }
}
