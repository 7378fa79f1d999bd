#if canImport(Glibc)
import Glibc
#endif
import CRhizomeSystem

/// Kills the process groups of running tasks when the agent ends, however it
/// ends: a SIGKILL leaves no code of the agent's to run, so a separate small
/// process (forked at start) holds the list and acts when the agent's end of
/// a pipe closes.
///
/// Not thread-safe: used from the agent's loop thread only.
public enum TaskReaper {
    nonisolated(unsafe) private static var descriptor: CInt = -1

    /// Forks the reaper. Call once, early; the reaper renames itself in the
    /// process list by overwriting the argument strings.
    @discardableResult
    public static func start() -> Bool {
        guard descriptor < 0 else { return true }
        let argv = CommandLine.unsafeArgv
        let count = Int(CommandLine.argc)
        guard count > 0, let first = argv[0], let last = argv[count - 1] else { return false }
        // The argument strings lie back to back from argv[0].
        let capacity = UnsafeMutableRawPointer(last) - UnsafeMutableRawPointer(first) + strlen(last) + 1
        descriptor = CRhizome_start_reaper(first, UInt(capacity))
        return descriptor >= 0
    }

    /// The group led by `leader` dies with the agent.
    public static func watch(_ leader: pid_t) { send(Int32(leader)) }

    /// The group is no longer the agent's to kill (its task is over).
    public static func forget(_ leader: pid_t) { send(-Int32(leader)) }

    private static func send(_ value: Int32) {
        guard descriptor >= 0, value != 0 else { return }
        var value = value
        while true {
            let written = write(descriptor, &value, MemoryLayout<Int32>.size)
            if written < 0 && errno == EINTR { continue }
            if written != MemoryLayout<Int32>.size { close(descriptor); descriptor = -1 }
            return
        }
    }
}
