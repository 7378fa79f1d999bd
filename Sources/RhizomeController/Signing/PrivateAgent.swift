#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import RhizomeIO

/// An `ssh-agent` the controller starts for its identity files, so that every
/// key type and format OpenSSH reads can sign without the controller parsing
/// private keys. Its socket, the askpass script and the agent's log live in a
/// 0700 directory of their own, removed when the agent ends.
///
/// The agent is a child of a small `sh` whose stdin is a pipe from the
/// controller. Closing that pipe, or the controller dying, makes `sh` kill the
/// agent and reap it, so no agent holding decrypted keys outlives the controller.
struct PrivateAgent: Sendable {
    let directory: String
    let socketPath: String
    let agentPID: pid_t
    private let askpassPath: String
    private let wrapper: ChildProcess
    private let path: String

    /// The variable through which the askpass script gets a passphrase. It lives
    /// only in the environment of one ssh-add and of the askpass it starts.
    static let passphraseVariable = "RHIZOME_SIGNER_PASSPHRASE"
    static let startTimeout = 10.0
    static let addTimeout = 30.0
    static let stopTimeout = 5.0

    /// ssh-add's SSH_ASKPASS. ssh-add asks again ("Bad passphrase, try again…")
    /// after a wrong passphrase; answering with the same one would loop forever,
    /// so a retry is refused, and a marker on stderr says why ssh-add failed.
    private static let askpassScript = """
        #!/bin/sh
        case "$1" in
        Bad*) echo "\(wrongPassphraseMarker)" >&2; exit 1 ;;
        esac
        if [ -z "${\(passphraseVariable):-}" ]; then echo "\(passphraseNeededMarker)" >&2; exit 1; fi
        printf '%s\\n' "$\(passphraseVariable)"

        """
    private static let wrongPassphraseMarker = "rhizome-askpass: wrong passphrase"
    private static let passphraseNeededMarker = "rhizome-askpass: passphrase needed"

    /// Runs the agent in the foreground (-D) as a job of `sh`; prints its pid,
    /// then waits for the controller's pipe to close. The directory goes too, so
    /// a controller that exits without `close()` leaves nothing behind.
    /// $1: socket, $2: agent log, $3: the private directory.
    private static let wrapperScript = """
        ssh-agent -D -a "$1" </dev/null >/dev/null 2>"$2" &
        agent=$!
        echo "$agent"
        exec >/dev/null 2>&1
        read -r _
        kill "$agent"
        wait "$agent"
        rm -rf -- "$3"
        """

    static func start(environment: [String: String]) throws(KeySignerError) -> PrivateAgent {
        let path = environment["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/bin:/usr/bin:/bin"
        for program in ["ssh-agent", "ssh-add"] where !isInstalled(program, path: path) {
            throw KeySignerError(.agentUnavailable, subject: program,
                                 "not found in PATH (\(path)); install the OpenSSH client (openssh-client)")
        }
        let directory = try makePrivateDirectory(environment: environment)
        let socketPath = directory + "/agent.sock"
        let logPath = directory + "/agent.log"
        let askpassPath = directory + "/askpass"
        var wrapper: ChildProcess?
        do throws(KeySignerError) {
            try writeExecutable(askpassPath, askpassScript)
            do {
                wrapper = try ChildProcess.spawn(arguments: ["/bin/sh", "-c", wrapperScript, "sh", socketPath, logPath, directory],
                                                 environment: ["PATH=\(path)"])
            } catch {
                throw KeySignerError(.agentUnavailable, subject: "ssh-agent", "cannot start /bin/sh: \(error)")
            }
            let deadline = Clock.seconds() + startTimeout
            let firstLine = readLine(wrapper!.stdout, until: deadline)
            wrapper!.stdout.close()
            wrapper!.stderr.close()
            guard let agentPID = firstLine.flatMap({ pid_t($0) }) else {
                throw KeySignerError(.agentUnavailable, subject: "ssh-agent", "did not start\(logTail(logPath))")
            }
            // The socket exists once the agent listens; ssh-agent writes to its log only when something went wrong.
            while (try? AgentConnection.request(AgentProtocol.requestIdentitiesMessage(), socketPath: socketPath, timeout: 1)) == nil {
                if Clock.seconds() > deadline || !logTail(logPath).isEmpty {
                    throw KeySignerError(.agentUnavailable, subject: "ssh-agent",
                                         "did not listen on \(socketPath) within \(Int(startTimeout)) s\(logTail(logPath))")
                }
                usleep(10_000)
            }
            return PrivateAgent(directory: directory, socketPath: socketPath, agentPID: agentPID,
                                askpassPath: askpassPath, wrapper: wrapper!, path: path)
        } catch {
            if let wrapper {
                shutDown(wrapper, directory: directory)
            } else {
                try? FileManager.default.removeItem(atPath: directory)
            }
            throw error
        }
    }

    /// Loads one identity file with `ssh-add`. `passphrase` is called only when
    /// the file turns out to be encrypted (ssh-add tries an empty one first).
    func add(_ keyPath: String, passphrase: @Sendable (String) -> String?) throws(KeySignerError) {
        var result = try runSSHAdd(keyPath, passphrase: nil)
        if result.status != 0, result.errors.contains(Self.passphraseNeededMarker) {
            guard let secret = passphrase(keyPath), !secret.isEmpty else {
                throw KeySignerError(.passphraseRequired, subject: keyPath,
                                     "the key is encrypted and no passphrase was given")
            }
            result = try runSSHAdd(keyPath, passphrase: secret)
            if result.status != 0, result.errors.contains(Self.wrongPassphraseMarker) {
                throw KeySignerError(.wrongPassphrase, subject: keyPath, "wrong passphrase: ssh-add could not decrypt the key")
            }
        }
        guard result.status == 0 else {
            throw KeySignerError(.keyFileRejected, subject: keyPath, "ssh-add cannot load it: \(result.message)")
        }
    }

    /// Ends the agent (it removes its socket), reaps it, and removes the directory.
    func stop() {
        Self.shutDown(wrapper, directory: directory)
    }

    private static func shutDown(_ wrapper: ChildProcess, directory: String) {
        var wrapper = wrapper
        wrapper.stdin?.close()
        wrapper.stdin = nil
        let deadline = Clock.seconds() + stopTimeout
        while wrapper.poll() == nil {
            if Clock.seconds() > deadline {
                // The agent shares the wrapper's process group (sh without job control).
                wrapper.killGroup(SIGKILL)
                _ = wrapper.wait()
                break
            }
            usleep(5_000)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private struct AddResult {
        var status: Int32
        /// ssh-add's stderr, askpass markers included.
        var errors: String
        /// ssh-add's complaint without the banner and markers.
        var message: String
    }

    private func runSSHAdd(_ keyPath: String, passphrase: String?) throws(KeySignerError) -> AddResult {
        var environment = [
            "PATH=\(path)",
            "SSH_AUTH_SOCK=\(socketPath)",
            "SSH_ASKPASS=\(askpassPath)",
            "SSH_ASKPASS_REQUIRE=force",
        ]
        if let passphrase { environment.append("\(Self.passphraseVariable)=\(passphrase)") }
        let output: ProcessOutput
        do {
            output = try ProcessOutput.run(["ssh-add", "--", keyPath], environment: environment, timeout: Self.addTimeout)
        } catch {
            throw KeySignerError(.agentUnavailable, subject: keyPath, "cannot run ssh-add: \(error)")
        }
        guard let termination = output.termination else {
            throw KeySignerError(.keyFileRejected, subject: keyPath, "ssh-add did not finish within \(Int(Self.addTimeout)) s")
        }
        let errors = String(decoding: output.stderr, as: UTF8.self)
        // ssh-add ends its lines with CRLF, and frames a loose-permissions complaint in lines of '@'.
        let message = errors.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("@") && !$0.hasPrefix("rhizome-askpass:") }
            .joined(separator: "; ")
        switch termination {
        case .exited(let status):
            return AddResult(status: status, errors: errors, message: message.isEmpty ? "exit status \(status)" : message)
        case .signalled(let signal):
            return AddResult(status: 128 + signal, errors: errors, message: "ssh-add killed by signal \(signal)")
        }
    }

    private static func isInstalled(_ program: String, path: String) -> Bool {
        path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    /// A fresh 0700 directory where an askpass script may run (not on a noexec
    /// mount) and whose socket path fits in sockaddr_un.
    private static func makePrivateDirectory(environment: [String: String]) throws(KeySignerError) -> String {
        let template = "/rhizome-signer-XXXXXX"
        let longestName = "/agent.sock"
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        var candidates = ["/tmp", "/var/tmp", "/dev/shm"]
        if let tmp = environment["TMPDIR"], !tmp.isEmpty { candidates.insert(tmp.hasSuffix("/") && tmp.count > 1 ? String(tmp.dropLast()) : tmp, at: 0) }
        var rejected: [String] = []
        for base in candidates {
            guard base.utf8.count + template.utf8.count + longestName.utf8.count < capacity else {
                rejected.append("\(base) (path too long for a unix socket)")
                continue
            }
            var info = statvfs()
            guard statvfs(base, &info) == 0, access(base, W_OK | X_OK) == 0 else {
                rejected.append("\(base) (\(String(cString: strerror(errno))))")
                continue
            }
            // ST_NOEXEC (a GNU name Glibc's module does not import).
            guard info.f_flag & 8 == 0 else {
                rejected.append("\(base) (mounted noexec: the askpass script could not run)")
                continue
            }
            var name = Array((base + template).utf8CString)
            if name.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil {
                return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            rejected.append("\(base) (mkdtemp: \(String(cString: strerror(errno))))")
        }
        throw KeySignerError(.agentUnavailable, subject: "ssh-agent",
                             "no directory for its socket: \(rejected.joined(separator: ", "))")
    }

    private static func writeExecutable(_ path: String, _ text: String) throws(KeySignerError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o700)
        guard fd >= 0 else {
            throw KeySignerError(.agentUnavailable, subject: path, "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        do {
            try FileDescriptor(rawValue: fd).writeAll(Array(text.utf8))
        } catch {
            throw KeySignerError(.agentUnavailable, subject: path, "cannot write: \(error)")
        }
    }

    /// The first line `fd` gives before `deadline`, without its newline.
    private static func readLine(_ fd: FileDescriptor, until deadline: Double) -> String? {
        var bytes: [UInt8] = []
        while !bytes.contains(UInt8(ascii: "\n")) {
            let remaining = deadline - Clock.seconds()
            guard remaining > 0 else { return nil }
            var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            let rc = poll(&poller, 1, Int32(remaining * 1000) + 1)
            if rc < 0 && errno == EINTR { continue }
            guard rc > 0, let chunk = try? fd.read(upTo: 64), !chunk.isEmpty else { return nil }
            bytes += chunk
        }
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// ": " and the last lines of the agent's log, or "" when it is empty.
    private static func logTail(_ logPath: String) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "" }
        let lines = text.split(whereSeparator: \.isNewline).suffix(5)
        return lines.isEmpty ? "" : ": " + lines.joined(separator: "; ")
    }
}

/// A short-lived child's exit and output.
struct ProcessOutput {
    /// nil when the child was killed for running past its timeout.
    var termination: ChildProcess.Termination?
    var stdout: [UInt8]
    var stderr: [UInt8]

    /// Runs `arguments` with stdin closed, collecting both outputs.
    static func run(_ arguments: [String], environment: [String], timeout: Double) throws(Errno) -> ProcessOutput {
        var child = try ChildProcess.spawn(arguments: arguments, environment: environment)
        child.stdin?.close()
        child.stdin = nil
        var output = ProcessOutput(termination: nil, stdout: [], stderr: [])
        var open = [child.stdout, child.stderr]
        let deadline = Clock.seconds() + timeout
        var timedOut = false
        while !open.isEmpty {
            let remaining = deadline - Clock.seconds()
            if remaining <= 0 {
                timedOut = true
                child.killGroup(SIGKILL)
                break
            }
            var pollers = open.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
            let rc = poll(&pollers, nfds_t(pollers.count), Int32(remaining * 1000) + 1)
            if rc < 0 {
                if errno == EINTR { continue }
                break
            }
            for (index, poller) in pollers.enumerated().reversed() where poller.revents != 0 {
                let fd = open[index]
                guard let chunk = try? fd.read(upTo: 4096), !chunk.isEmpty else {
                    open.remove(at: index)
                    continue
                }
                if fd == child.stdout { output.stdout += chunk } else { output.stderr += chunk }
            }
        }
        child.stdout.close()
        child.stderr.close()
        let termination = child.wait()
        output.termination = timedOut ? nil : termination
        return output
    }
}
