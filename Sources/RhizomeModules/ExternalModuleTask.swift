#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeStore
import RhizomeWire

/// An executable module shipped from the controller's `--module-path`, run
/// by Ansible's contract for non-Python modules: the JSON arguments file is
/// argv[1] (WANT_JSON style) and the JSON result comes on stdout. Any language
/// works: the file is executed as is (a shebang picks the interpreter).
///
/// The controller sends the module as a payload (`_module_digest`) and the
/// module's own parameters beside it; both files live in the agent's working
/// directory for the duration of the task only.
final class ExternalModuleTask: RunningTask, TaskSink {
    private let loop: EventLoop
    private weak var sink: (any TaskSink)?
    private let request: RunTask
    private let context: ModuleContext
    private let baseEnvironment: [String]
    private var image: [UInt8] = []
    private var files: [String] = []
    private var process: ProcessTask?
    private var stdout: [UInt8] = []
    private var finished = false
    private var cancelled: String?
    private let startTime = Clock.wallNanos()
    /// Module output beyond this is not parsed (and reported as such).
    static let maxResultSize = 64 << 20

    init(loop: EventLoop, sink: any TaskSink, request: RunTask, context: ModuleContext, baseEnvironment: [String]) {
        self.loop = loop
        self.sink = sink
        self.request = request
        self.context = context
        self.baseEnvironment = baseEnvironment
    }

    var name: String { request.arguments["_module_name"]?.stringValue ?? request.module }

    func start() {
        guard let hex = request.arguments["_module_digest"]?.stringValue, let digest = Digest(hex: hex) else {
            return fail("module '\(name)' was sent without its file")
        }
        guard let payloads = context.payloads else { return fail("this agent has no payload store") }
        payloads.fetchPayload(digest.bytes, receive: { [weak self] bytes in
            self?.image.append(contentsOf: bytes)
        }, finished: { [weak self] error in
            guard let self else { return }
            if let error { return self.fail("cannot fetch module \(self.name): \(error)") }
            self.run()
        })
    }

    private func run() {
        guard cancelled == nil else { return fail(cancelled!) }
        let stamp = "\(getpid())-\(Clock.monotonicNanos() % 1_000_000_000)"
        let directory = context.workDirectory.isEmpty ? "/tmp" : context.workDirectory
        let modulePath = "\(directory)/.rhizome-module-\(stamp)"
        let argumentsPath = "\(directory)/.rhizome-args-\(stamp).json"
        guard write(image, to: modulePath, mode: 0o700) else {
            return fail("cannot write module \(name) to \(directory): \(String(cString: strerror(errno)))")
        }
        files.append(modulePath)
        var parameters: [(String, WireValue)] = []
        if case .map(let pairs) = request.arguments {
            parameters = pairs.filter { !$0.0.hasPrefix("_module_") }
        }
        parameters.append(("_ansible_module_name", .string(name)))
        parameters.append(("_ansible_check_mode", false))
        guard write(Array(WireValue.map(parameters).jsonText.utf8), to: argumentsPath, mode: 0o600) else {
            return fail("cannot write the arguments of \(name): \(String(cString: strerror(errno)))")
        }
        files.append(argumentsPath)
        var environment = baseEnvironment.filter { entry in
            guard let equals = entry.firstIndex(of: "=") else { return false }
            return request.environment[String(entry[..<equals])] == nil
        }
        for (key, value) in request.environment.sorted(by: { $0.key < $1.key }) { environment.append("\(key)=\(value)") }
        let task = ProcessTask(loop: loop, sink: self, options: .init(
            arguments: [modulePath, argumentsPath], environment: environment, directory: nil, stdin: nil,
            timeout: request.timeout, outputCap: UInt64(Self.maxResultSize), changed: false))
        process = task
        task.start()
    }

    func cancel(reason: String) {
        cancelled = reason
        process?.cancel(reason: reason)
    }

    func resume() {
        process?.resume()
    }

    // MARK: TaskSink (the module's process)

    func taskOutput(_ stream: OutputStream, _ data: [UInt8]) {
        if stream == .stdout {
            stdout.append(contentsOf: data)
        } else {
            sink?.taskOutput(.stderr, data)
        }
    }

    func taskFinished(_ result: TaskResult) {
        cleanUp()
        var final = result
        final.start = startTime
        final.changed = false
        let text = String(decoding: stdout, as: UTF8.self)
        let trimmed = Self.trim(text)
        if result.stdoutDropped > 0 {
            sink?.taskOutput(.stdout, stdout)
            final.failed = true
            final.message = "module \(name) printed more than \(Self.maxResultSize) bytes; not parsed"
            return finish(final)
        }
        do {
            let value = try WireValue(jsonText: trimmed)
            guard case .map(let pairs) = value else { throw WireValue.JSONError(message: "not a JSON object", offset: 0) }
            var data: [(String, WireValue)] = []
            for (key, item) in pairs {
                switch key {
                case "changed": final.changed = item.boolValue ?? false
                case "failed": if item.boolValue == true { final.failed = true }
                case "msg": final.message = item.stringValue ?? item.jsonText
                case "rc": if let rc = item.intValue { final.rc = Int32(clamping: rc) }
                default: data.append((key, item))
                }
            }
            if result.failed && final.message.isEmpty { final.message = result.message }
            final.data = .map(data)
            finish(final)
        } catch {
            // Show what the module printed: it is the only clue.
            sink?.taskOutput(.stdout, stdout)
            final.failed = true
            final.message = "module \(name) did not print a JSON result (\(error))"
                + (result.rc.map { $0 != 0 ? "; it exited with \($0)" : "" } ?? "")
            finish(final)
        }
    }

    var isCongested: Bool { sink?.isCongested ?? false }

    // MARK: Helpers

    private func fail(_ message: String) {
        cleanUp()
        finish(TaskResult(start: startTime, end: Clock.wallNanos(), failed: true, message: message))
    }

    private func finish(_ result: TaskResult) {
        guard !finished else { return }
        finished = true
        sink?.taskFinished(result)
    }

    private func cleanUp() {
        for file in files { unlink(file) }
        files.removeAll()
    }

    private func write(_ bytes: [UInt8], to path: String, mode: mode_t) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                unlink(path)
                return false
            }
            offset += n
        }
        return true
    }

    /// Modules may print noise around the JSON; Ansible takes the first
    /// '{' to the last '}'. So do we.
    static func trim(_ text: String) -> String {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return text }
        return String(text[open ... close])
    }
}
