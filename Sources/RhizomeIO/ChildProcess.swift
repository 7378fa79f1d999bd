#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CRhizomeSystem

/// A child process started with pipes for stdin, stdout and stderr, in a new
/// session (so it and everything it starts form one process group that can be
/// killed together).
public struct ChildProcess: Sendable {
    public var pid: pid_t
    /// Write end of the child's stdin (nil once closed).
    public var stdin: FileDescriptor?
    public var stdout: FileDescriptor
    public var stderr: FileDescriptor

    /// How the child ended.
    public enum Termination: Hashable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Starts `arguments[0]`, looked up in the PATH of `environment` when it
    /// has no slash.
    ///
    /// - Parameters:
    ///   - environment: the complete environment of the child.
    ///   - directory: working directory, or nil for the current one.
    public static func spawn(arguments: [String], environment: [String], directory: String? = nil) throws(Errno) -> ChildProcess {
        guard let program = arguments.first, !program.isEmpty else { throw Errno(ENOENT, call: "spawn") }
        let executable = program.contains("/") ? program : try lookUp(program, environment: environment, directory: directory)
        let stdinPipe = try FileDescriptor.pipe()
        let stdoutPipe: (read: FileDescriptor, write: FileDescriptor)
        let stderrPipe: (read: FileDescriptor, write: FileDescriptor)
        do {
            stdoutPipe = try FileDescriptor.pipe()
        } catch {
            stdinPipe.read.close(); stdinPipe.write.close()
            throw error
        }
        do {
            stderrPipe = try FileDescriptor.pipe()
        } catch {
            stdinPipe.read.close(); stdinPipe.write.close()
            stdoutPipe.read.close(); stdoutPipe.write.close()
            throw error
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe.read.rawValue, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write.rawValue, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write.rawValue, 2)
        if let directory {
            CRhizome_spawn_addchdir(&actions, directory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // New session: the child leads its own process group. Signals the agent
        // ignores (SIGPIPE) are reset to their defaults, and none is blocked.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGQUIT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGHUP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, CRhizome_spawn_setsid_flag() | Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            }
        }
        stdinPipe.read.close()
        stdoutPipe.write.close()
        stderrPipe.write.close()
        guard rc == 0 else {
            stdinPipe.write.close()
            stdoutPipe.read.close()
            stderrPipe.read.close()
            throw Errno(rc, call: "spawn \(program)")
        }
        return ChildProcess(pid: pid, stdin: stdinPipe.write, stdout: stdoutPipe.read, stderr: stderrPipe.read)
    }

    /// execvp(3)'s search, in the child's PATH: posix_spawnp would search the
    /// agent's own, and ignore a PATH set for the task. Relative entries are
    /// relative to the child's working directory, as they would be for execvp.
    private static func lookUp(_ program: String, environment: [String], directory: String?) throws(Errno) -> String {
        let path = environment.first(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? "/bin:/usr/bin"
        var denied = false
        for entry in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (entry.isEmpty ? "." : String(entry)) + "/" + program
            let seenFromHere = candidate.hasPrefix("/") || directory == nil ? candidate : directory! + "/" + candidate
            var info = stat()
            guard stat(seenFromHere, &info) == 0 else {
                if errno == EACCES { denied = true }
                continue
            }
            guard info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(seenFromHere, X_OK) == 0 { return candidate }
            denied = true
        }
        throw Errno(denied ? EACCES : ENOENT, call: "spawn \(program)")
    }

    /// Reaps the child if it has ended; nil while it runs.
    public func poll() -> Termination? {
        var status: CInt = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else { return nil }
        return Self.termination(status)
    }

    /// Blocks until the child ends.
    public func wait() -> Termination {
        var status: CInt = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(-1) }
        }
        return Self.termination(status)
    }

    /// A descriptor that becomes readable when the child exits (pidfd, Linux
    /// 5.3+); nil on older kernels, where callers poll instead.
    public func exitDescriptor() -> FileDescriptor? {
        let fd = CRhizome_pidfd_open(pid)
        guard fd >= 0 else { return nil }
        let descriptor = FileDescriptor(rawValue: fd)
        try? descriptor.setCloseOnExec()
        return descriptor
    }

    /// Sends `signal` to the child's whole process group.
    public func killGroup(_ signal: CInt = SIGKILL) {
        _ = Glibc.kill(-pid, signal)
    }

    private static func termination(_ status: CInt) -> Termination {
        // WIFEXITED & co. are macros; these are their expansions.
        let low = status & 0x7F
        if low == 0 { return .exited((status >> 8) & 0xFF) }
        return .signalled(low)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
