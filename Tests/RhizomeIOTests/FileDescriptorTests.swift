#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import Testing

@Suite struct FileDescriptorTests {
    @Test func pipeEndsAreCloseOnExecAndBlocking() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        for end in [pipe.read, pipe.write] {
            #expect(fcntl(end.rawValue, F_GETFD) & FD_CLOEXEC != 0)
            #expect(fcntl(end.rawValue, F_GETFL) & O_NONBLOCK == 0)
        }
        #expect(pipe.read != pipe.write)
    }

    @Test func bytesComeOutInTheOrderTheyWentIn() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        #expect(try pipe.write.write(Array("abc".utf8)[...]) == 3)
        #expect(try pipe.write.write(Array("xdefx".utf8)[1 ..< 4]) == 3)
        #expect(try pipe.read.read(upTo: 100) == Array("abcdef".utf8))
    }

    @Test func readReturnsAtMostTheCountAskedFor() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.write.writeAll(Array(0 ..< 10))
        #expect(try pipe.read.read(upTo: 4) == [0, 1, 2, 3])
        #expect(try pipe.read.read(upTo: 100) == [4, 5, 6, 7, 8, 9])
    }

    @Test func nonBlockingReadOfAnEmptyPipeReturnsNil() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.read.setNonBlocking()
        #expect(try pipe.read.read(upTo: 10) == nil)
    }

    @Test func readAtEndOfFileReturnsAnEmptyArray() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close() }
        try pipe.write.writeAll([42])
        pipe.write.close()
        #expect(try pipe.read.read(upTo: 10) == [42])
        #expect(try pipe.read.read(upTo: 10) == [])
        try pipe.read.setNonBlocking()
        #expect(try pipe.read.read(upTo: 10) == [])
    }

    @Test func writeReturnsZeroWhenThePipeIsFull() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.write.setNonBlocking()
        try pipe.read.setNonBlocking()
        let chunk = [UInt8](repeating: 7, count: 16 << 10)
        var total = 0
        var attempts = 0
        while attempts < 1_000 {
            attempts += 1
            let n = try pipe.write.write(chunk[...])
            if n == 0 { break }
            #expect(n > 0 && n <= chunk.count)
            total += n
        }
        #expect(attempts < 1_000, "the pipe never filled up")
        #expect(total >= 4096)
        #expect(try pipe.write.write([1][...]) == 0)

        // Everything written is there, and draining makes room again.
        var drained = 0
        while let bytes = try pipe.read.read(upTo: 64 << 10), !bytes.isEmpty { drained += bytes.count }
        #expect(drained == total)
        #expect(try pipe.write.write([1][...]) == 1)
    }

    @Test func writingNothingWritesNothing() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.read.setNonBlocking()
        #expect(try pipe.write.write([]) == 0)
        #expect(try pipe.read.read(upTo: 10) == nil)
    }

    @Test func writeWithoutAReaderThrowsEPIPE() throws {
        ignoreBrokenPipes()
        let pipe = try FileDescriptor.pipe()
        defer { pipe.write.close() }
        pipe.read.close()
        #expect(throws: Errno(EPIPE, call: "write")) { try pipe.write.write([1, 2, 3][...]) }
    }

    @Test func badDescriptorErrorsNameTheCall() throws {
        let bad = FileDescriptor(rawValue: -1)
        #expect(throws: Errno(EBADF, call: "read")) { try bad.read(upTo: 1) }
        #expect(throws: Errno(EBADF, call: "write")) { try bad.write([1][...]) }
        #expect(throws: Errno(EBADF, call: "fcntl")) { try bad.setNonBlocking() }
        #expect(throws: Errno(EBADF, call: "fcntl")) { try bad.setCloseOnExec() }
    }

    @Test func setNonBlockingTurnsTheFlagOnAndOff() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        try pipe.read.setNonBlocking()
        #expect(fcntl(pipe.read.rawValue, F_GETFL) & O_NONBLOCK != 0)
        try pipe.read.setNonBlocking(false)
        #expect(fcntl(pipe.read.rawValue, F_GETFL) & O_NONBLOCK == 0)
    }

    @Test func setCloseOnExecMarksADuplicate() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close(); pipe.write.close() }
        let copy = FileDescriptor(rawValue: dup(pipe.read.rawValue))
        defer { copy.close() }
        #expect(fcntl(copy.rawValue, F_GETFD) & FD_CLOEXEC == 0)  // dup(2) never copies the flag
        try copy.setCloseOnExec()
        #expect(fcntl(copy.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func writeAllOnANonBlockingPipeWaitsForTheReader() throws {
        let pipe = try FileDescriptor.pipe()
        defer { pipe.read.close() }
        try pipe.write.setNonBlocking()
        let payload = (0 ..< (1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let received = Locked<[UInt8]?>(nil)
        let reader = pipe.read
        OSThread.detach(name: "test-reader") {
            let bytes = try? readToEnd(reader, limit: 20)
            received.withLock { $0 = bytes ?? [] }
        }
        try pipe.write.writeAll(payload)  // ~16 times the pipe's buffer
        pipe.write.close()
        #expect(waitUntil(limit: 20) { received.value != nil })
        #expect(received.value == payload)
    }

    @Test func errnoDescribesTheCallAndTheError() {
        #expect(Errno(ENOENT, call: "open").description == "open: No such file or directory")
        #expect(Errno(EAGAIN, call: "read") == Errno(Errno.wouldBlock, call: "read"))
        #expect(Errno(EAGAIN, call: "read") != Errno(EAGAIN, call: "write"))
    }
}

/// Writes to a pipe without a reader must fail with EPIPE rather than kill
/// the test process, as they do in the agent.
func ignoreBrokenPipes() {
    _ = signal(SIGPIPE, SIG_IGN)
}
