#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every system call RhizomeIO makes goes through here, so that EINTR is
/// retried in exactly one place and errors carry the call's name.
enum Syscall {
    /// Retries on EINTR; returns the result or throws `Errno`.
    @inline(__always)
    static func retrying<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw Errno(code, call: name)
        }
    }
}

/// Monotonic and wall-clock time without Foundation.
public enum Clock {
    /// Monotonic nanoseconds; only differences mean anything.
    public static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Nanoseconds since the Unix epoch.
    public static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Monotonic seconds, for measuring durations.
    public static func seconds() -> Double {
        Double(monotonicNanos()) / 1e9
    }
}
