import RhizomeIO
import RhizomeModules
import RhizomeWire
import Testing

@Suite struct CongestionTests {
    @Test func congestedSinkGetsNothingUntilResumed() throws {
        var outputWhileCongested = -1
        var resultsWhileCongested = -1
        var queriesWhileCongested = -1
        let sink = try run(task("shell", "echo hello; echo oops >&2"), prepare: { $0.congested = true },
                           whileRunning: { loop, running, sink in
            // By now the shell has long exited and both pipes have hung up.
            loop.schedule(after: 0.3) {
                outputWhileCongested = sink.chunks.count
                resultsWhileCongested = sink.results.count
                queriesWhileCongested = sink.congestionQueries
                sink.congested = false
                running.resume()
            }
        })
        #expect(outputWhileCongested == 0)
        #expect(resultsWhileCongested == 0)
        // Once per stream, give or take: a paused task must not be woken over and over.
        #expect(queriesWhileCongested >= 1 && queriesWhileCongested <= 10)
        #expect(sink.stdoutText == "hello\n")
        #expect(sink.stderrText == "oops\n")
        #expect(sink.result?.rc == 0)
    }

    @Test func congestionMidStreamPausesTheProcessAndLosesNothing() throws {
        let expected = sequence(750_000)  // far more than the pipe holds
        var bytesWhenCongested = -1
        var bytesAfterPause = -1
        var finishedWhilePaused = true
        var paused = false
        let sink = try run(task("command", "seq 1 750000"), whileRunning: { loop, running, sink in
            sink.onOutput = { _, _ in
                guard !paused else { return }
                paused = true
                sink.congested = true
                bytesWhenCongested = sink.stdout.count
                loop.schedule(after: 0.3) {
                    bytesAfterPause = sink.stdout.count
                    finishedWhilePaused = !sink.results.isEmpty
                    sink.congested = false
                    running.resume()
                }
            }
        })
        #expect(bytesWhenCongested > 0)
        #expect(bytesAfterPause == bytesWhenCongested)
        #expect(!finishedWhilePaused)
        #expect(sink.stdout == expected)
        #expect(sink.result?.rc == 0)
    }

    @Test func cancelWhileCongestedStillEndsTheTask() throws {
        let sink = try run(task("shell", "echo before; sleep 300"), prepare: { $0.congested = true },
                           whileRunning: { loop, running, _ in
            loop.schedule(after: 0.2) { running.cancel(reason: "cancelled while congested") }
        })
        let result = try #require(sink.result)
        #expect(result.message == "cancelled while congested")
        #expect(result.failed)
        #expect(sink.results.count == 1)
    }

    @Test func resumeWithoutCongestionIsHarmless() throws {
        let sink = try run(task("shell", "echo a; sleep 0.1; echo b"), whileRunning: { _, running, _ in
            running.resume()
            running.resume()
        })
        #expect(sink.stdoutText == "a\nb\n")
        #expect(sink.result?.rc == 0)
    }
}

@Suite struct PingModuleTests {
    @Test func pingAnswersPong() throws {
        let sink = try run(RunTask(module: "ping"))
        let result = try #require(sink.result)
        #expect(result.data == ["ping": "pong"])
        #expect(!result.failed)
        #expect(!result.changed)
        #expect(result.rc == nil)
        #expect(sink.results.count == 1)
    }

    @Test func pingEchoesItsData() throws {
        #expect(try run(RunTask(module: "ping", arguments: ["data": "hello"])).result?.data == ["ping": "hello"])
    }

    @Test func pingWithDataCrashFails() throws {
        let result = try #require(try run(RunTask(module: "ping", arguments: ["data": "crash"])).result)
        #expect(result.failed)
        #expect(result.message.contains("crash"))
        #expect(result.data == [:])
    }

    @Test func pingNeedsNoLoopIteration() throws {
        let loop = try EventLoop()
        let sink = RecordingSink(loop: loop)
        let running = BuiltinModules.start(RunTask(module: "ping"), loop: loop, sink: sink, baseEnvironment: [])
        #expect(running == nil)
        #expect(sink.results.count == 1)
    }
}

@Suite struct UnknownModuleTests {
    @Test(arguments: ["file", "Command", "", "ansible.builtin.command"])
    func unknownModuleFailsAtOnceNamingTheBuiltIns(module: String) throws {
        let loop = try EventLoop()
        let sink = RecordingSink(loop: loop)
        let running = BuiltinModules.start(RunTask(module: module), loop: loop, sink: sink, baseEnvironment: [])
        #expect(running == nil)
        let result = try #require(sink.result)
        #expect(result.failed)
        #expect(result.message == "module '\(module)' is not a built-in module (built-ins: command, copy, ping, shell)")
        #expect(sink.results.count == 1)
    }

    @Test func builtInNames() {
        #expect(BuiltinModules.names == ["command", "shell", "ping", "copy"])
    }
}
