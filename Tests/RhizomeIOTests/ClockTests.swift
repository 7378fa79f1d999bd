#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import Testing

@Suite struct ClockTests {
    @Test func monotonicTimeAdvancesBySleeps() {
        let before = Clock.monotonicNanos()
        usleep(20_000)
        let after = Clock.monotonicNanos()
        #expect(after - before >= 20_000_000)
        #expect(after - before < 20_000_000_000)
    }

    @Test func monotonicTimeNeverGoesBack() {
        var previous = Clock.monotonicNanos()
        for _ in 0 ..< 10_000 {
            let now = Clock.monotonicNanos()
            #expect(now >= previous)
            previous = now
        }
    }

    @Test func wallTimeIsTheUnixTime() {
        let seconds = Int64(time(nil))
        let wall = Clock.wallNanos()
        #expect(abs(wall / 1_000_000_000 - seconds) <= 2)
    }

    @Test func secondsFollowTheMonotonicClock() {
        let nanos = Clock.monotonicNanos()
        let seconds = Clock.seconds()
        #expect(seconds >= Double(nanos) / 1e9)
        #expect(seconds - Double(nanos) / 1e9 < 1)
    }
}
