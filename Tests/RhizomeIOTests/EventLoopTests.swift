#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import Testing

@Suite struct EventLoopTests {
    // MARK: File descriptors

    @Test func readableDescriptorInvokesItsHandlerWithTheData() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.read.setNonBlocking()
        try pipe.write.writeAll(Array("hello".utf8))

        var received: [UInt8] = []
        var events: [PollEvents] = []
        loop.register(pipe.read.rawValue, events: .readable) { fired in
            events.append(fired)
            received += (try? pipe.read.read(upTo: 100)) ?? []
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(received == Array("hello".utf8))
        #expect(events == [.readable])
    }

    @Test func handlerIsNotCalledUntilTheDescriptorBecomesReady() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }

        var callsBeforeWrite = -1
        var calls = 0
        loop.register(pipe.read.rawValue, events: .readable) { _ in
            calls += 1
            loop.stop()
        }
        loop.schedule(after: 0.05) {
            callsBeforeWrite = calls
            _ = try? pipe.write.write([1][...])
        }
        #expect(runBounded(loop))
        #expect(callsBeforeWrite == 0)
        #expect(calls == 1)
    }

    @Test func writableDescriptorFiresAtOnce() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        var events: PollEvents = []
        loop.register(pipe.write.rawValue, events: .writable) { fired in
            events = fired
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(events == .writable)
    }

    @Test func hangUpIsReportedWithoutBeingAskedFor() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close() }
        pipe.write.close()
        var events: PollEvents = []
        loop.register(pipe.read.rawValue, events: .readable) { fired in
            events = fired
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(events.contains(.hangup))
        #expect(try pipe.read.read(upTo: 10) == [])
    }

    @Test func errorIsReportedOnAWriteEndWhoseReaderIsGone() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.write.close() }
        pipe.read.close()
        var events: PollEvents = []
        loop.register(pipe.write.rawValue, events: .writable) { fired in
            events = fired
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(events.contains(.error))
    }

    @Test func closedDescriptorIsReportedInvalid() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        pipe.read.close()
        pipe.write.close()
        var events: PollEvents = []
        // The number is free now; poll flags it rather than failing the whole call.
        loop.register(pipe.read.rawValue, events: .readable) { fired in
            events = fired
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(events.contains(.invalid))
    }

    @Test func setEventsChangesWhatARegistrationWaitsFor() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.write.writeAll([1, 2, 3])

        var calls = 0
        var callsWhilePaused = -1
        let token = loop.register(pipe.read.rawValue, events: []) { fired in
            calls += 1
            #expect(fired == .readable)
            loop.stop()
        }
        loop.schedule(after: 0.05) {
            callsWhilePaused = calls
            loop.setEvents(token, .readable)
        }
        #expect(runBounded(loop))
        #expect(callsWhilePaused == 0)
        #expect(calls == 1)
    }

    @Test func pausedRegistrationIsNotWokenByAHangUp() throws {
        // A registration waiting for nothing must not make the loop spin when
        // its descriptor hangs up: poll(2) reports hang-ups unasked.
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close() }
        pipe.write.close()

        var calls = 0
        var callsWhilePaused = -1
        let token = loop.register(pipe.read.rawValue, events: []) { fired in
            calls += 1
            #expect(fired.contains(.hangup))
            loop.stop()
        }
        loop.schedule(after: 0.1) {
            callsWhilePaused = calls
            loop.setEvents(token, .readable)
        }
        #expect(runBounded(loop))
        #expect(callsWhilePaused == 0)
        #expect(calls == 1)
    }

    @Test func deregisteredHandlerIsNeverCalled() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.write.writeAll([1])
        var calls = 0
        let token = loop.register(pipe.read.rawValue, events: .readable) { _ in calls += 1 }
        loop.deregister(token)
        loop.schedule(after: 0.05) { loop.stop() }
        #expect(runBounded(loop))
        #expect(calls == 0)
    }

    @Test func handlerThatDeregistersItselfIsNotCalledAgain() throws {
        let loop = try EventLoop()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.write.writeAll([1])  // never read: the descriptor stays readable
        var calls = 0
        var token: EventLoop.Token?
        token = loop.register(pipe.read.rawValue, events: .readable) { _ in
            calls += 1
            loop.deregister(token!)
        }
        loop.schedule(after: 0.05) { loop.stop() }
        #expect(runBounded(loop))
        #expect(calls == 1)
    }

    @Test func handlerCanDeregisterAnotherThatIsReadyInTheSameIteration() throws {
        let loop = try EventLoop()
        let first = try FileDescriptor.pipe()
        let second = try FileDescriptor.pipe()
        defer { [first.read, first.write, second.read, second.write].forEach { $0.close() } }
        try first.write.writeAll([1])
        try second.write.writeAll([2])

        // Both are ready in the first poll; whichever runs first removes the
        // other, which must then not run although its revents are pending.
        var calls: [Int] = []
        var tokens: [EventLoop.Token] = []
        tokens.append(loop.register(first.read.rawValue, events: .readable) { _ in
            calls.append(1)
            _ = try? first.read.read(upTo: 10)
            loop.deregister(tokens[0])
            loop.deregister(tokens[1])
        })
        tokens.append(loop.register(second.read.rawValue, events: .readable) { _ in
            calls.append(2)
            _ = try? second.read.read(upTo: 10)
            loop.deregister(tokens[0])
            loop.deregister(tokens[1])
        })
        loop.schedule(after: 0.05) { loop.stop() }
        #expect(runBounded(loop))
        #expect(calls.count == 1)
    }

    @Test func handlerCanRegisterANewDescriptor() throws {
        let loop = try EventLoop()
        let first = try FileDescriptor.pipe()
        let second = try FileDescriptor.pipe()
        defer { [first.read, first.write, second.read, second.write].forEach { $0.close() } }
        try first.write.writeAll([1])
        try second.write.writeAll([2])
        var order: [Int] = []
        var token: EventLoop.Token?
        token = loop.register(first.read.rawValue, events: .readable) { _ in
            order.append(1)
            loop.deregister(token!)
            loop.register(second.read.rawValue, events: .readable) { _ in
                order.append(2)
                loop.stop()
            }
        }
        #expect(runBounded(loop))
        #expect(order == [1, 2])
    }

    // MARK: Timers

    @Test func timersFireInDeadlineOrder() throws {
        let loop = try EventLoop()
        var order: [String] = []
        loop.schedule(after: 0.06) { order.append("c"); loop.stop() }
        loop.schedule(after: 0.02) { order.append("a") }
        loop.schedule(after: 0.04) { order.append("b") }
        loop.schedule(after: 0) { order.append("now") }
        #expect(runBounded(loop))
        #expect(order == ["now", "a", "b", "c"])
    }

    @Test func timersWithTheSameDelayFireInTheOrderTheyWereScheduled() throws {
        let loop = try EventLoop()
        var order: [Int] = []
        for index in 0 ..< 20 { loop.schedule(after: 0.01) { order.append(index) } }
        loop.schedule(after: 0.01) { loop.stop() }
        #expect(runBounded(loop))
        #expect(order == Array(0 ..< 20))
    }

    @Test func negativeDelayRunsLikeZero() throws {
        let loop = try EventLoop()
        var ran = false
        loop.schedule(after: -5) { ran = true; loop.stop() }
        #expect(runBounded(loop, limit: 2))
        #expect(ran)
    }

    @Test func timerNeverFiresEarly() throws {
        let loop = try EventLoop()
        let start = Clock.monotonicNanos()
        var elapsed: Int64 = 0
        loop.schedule(after: 0.05) {
            elapsed = Clock.monotonicNanos() - start
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(elapsed >= 50_000_000)
    }

    @Test func cancelledTimerDoesNotFire() throws {
        let loop = try EventLoop()
        var fired = false
        let token = loop.schedule(after: 0.01) { fired = true }
        loop.cancel(token)
        loop.schedule(after: 0.05) { loop.stop() }
        #expect(runBounded(loop))
        #expect(!fired)
    }

    @Test func timerCanCancelAnotherThatIsDueInTheSameIteration() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        var victim: EventLoop.Token?
        loop.schedule(after: 0) {
            fired.append("first")
            loop.cancel(victim!)
        }
        victim = loop.schedule(after: 0) { fired.append("victim") }
        loop.schedule(after: 0.05) { loop.stop() }
        #expect(runBounded(loop))
        #expect(fired == ["first"])
    }

    @Test func timerCanScheduleAnotherTimer() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        loop.schedule(after: 0.01) {
            fired.append(1)
            loop.schedule(after: 0.01) {
                fired.append(2)
                loop.stop()
            }
        }
        #expect(runBounded(loop))
        #expect(fired == [1, 2])
    }

    @Test func cancellingAFiredOrAlreadyCancelledTimerChangesNothing() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        var first: EventLoop.Token?
        first = loop.schedule(after: 0) {
            fired.append("first")
            loop.cancel(first!)
        }
        let twice = loop.schedule(after: 0.01) { fired.append("twice") }
        loop.cancel(twice)
        loop.cancel(twice)
        loop.schedule(after: 0.02) { fired.append("last"); loop.stop() }
        #expect(runBounded(loop))
        #expect(fired == ["first", "last"])
    }

    // MARK: Other threads

    @Test func executeFromAnotherThreadWakesABlockedLoop() throws {
        let loop = try EventLoop()
        let ran = Locked(false)
        // Nothing else would wake the loop before the watchdog, 10 s away.
        OSThread.detach(name: "test-execute") {
            usleep(20_000)
            loop.execute {
                ran.withLock { $0 = true }
                loop.stop()
            }
        }
        let start = Clock.seconds()
        #expect(runBounded(loop, limit: 10))
        #expect(ran.value)
        #expect(Clock.seconds() - start < 5)
    }

    @Test func workFromManyThreadsAllRunsInPerThreadOrder() throws {
        let loop = try EventLoop()
        let threads = 4
        let perThread = 2_000
        let seen = Locked<[[Int]]>(Array(repeating: [], count: threads))
        for thread in 0 ..< threads {
            OSThread.detach(name: "test-producer") {
                for index in 0 ..< perThread {
                    loop.execute {
                        let total = seen.withLock { lists -> Int in
                            lists[thread].append(index)
                            return lists.reduce(0) { $0 + $1.count }
                        }
                        if total == threads * perThread { loop.stop() }
                    }
                }
            }
        }
        #expect(runBounded(loop, limit: 20))
        let lists = seen.value
        for list in lists { #expect(list == Array(0 ..< perThread)) }
    }

    @Test func workQueuedBeforeRunIsNotLostWhenTheWakePipeIsFull() throws {
        let loop = try EventLoop()
        // More wake-ups than a pipe buffer holds: the extra writes fail with
        // EAGAIN, which must not lose work.
        let count = 100_000
        let done = Locked(0)
        for _ in 0 ..< count {
            loop.execute {
                if done.withLock({ $0 += 1; return $0 }) == count { loop.stop() }
            }
        }
        #expect(runBounded(loop, limit: 20))
        #expect(done.value == count)
    }

    @Test func stopFromAnotherThreadEndsRun() throws {
        let loop = try EventLoop()
        OSThread.detach(name: "test-stop") {
            usleep(20_000)
            loop.stop()
        }
        let start = Clock.seconds()
        #expect(runBounded(loop, limit: 10))
        #expect(Clock.seconds() - start < 5)
    }

    @Test func stopBeforeRunMakesRunReturnAndTheLoopCanRunAgain() throws {
        let loop = try EventLoop()
        loop.stop()
        var firstRanTimer = false
        loop.schedule(after: 0.05) { firstRanTimer = true }
        #expect(runBounded(loop))
        #expect(!firstRanTimer)

        // run() resets the stop request: a second run() waits for a new stop.
        var secondRanTimer = false
        loop.schedule(after: 0.05) {
            secondRanTimer = true
            loop.stop()
        }
        #expect(runBounded(loop))
        #expect(secondRanTimer)
    }

    @Test func executedWorkRunsOnTheLoopThread() throws {
        let loop = try EventLoop()
        let loopThread = pthread_self()
        let sameThread = Locked(false)
        OSThread.detach(name: "test-thread") {
            loop.execute {
                let equal = pthread_equal(pthread_self(), loopThread) != 0
                sameThread.withLock { $0 = equal }
                loop.stop()
            }
        }
        #expect(runBounded(loop))
        #expect(sameThread.value)
    }
}
