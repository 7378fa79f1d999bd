#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeWire

/// The modules compiled into the agent.
public enum BuiltinModules {
    /// Names of the built-in modules.
    public static let names: Set<String> = ["command", "shell", "ping", "copy"]

    /// The module name the controller uses for modules shipped as payloads.
    public static let external = "_external"

    /// Starts `request`. The result always arrives through `sink`, possibly
    /// before this returns (for modules that need no process).
    public static func start(_ request: RunTask, loop: EventLoop, sink: any TaskSink,
                             baseEnvironment: [String], context: ModuleContext = ModuleContext()) -> (any RunningTask)? {
        let started = Clock.wallNanos()
        func fail(_ message: String) -> (any RunningTask)? {
            sink.taskFinished(TaskResult(start: started, end: Clock.wallNanos(), failed: true, message: message))
            return nil
        }
        let args = request.arguments
        switch request.module {
        case "ping":
            let data = args["data"]?.stringValue ?? "pong"
            if data == "crash" { return fail("boom: ping was asked to crash (data=crash)") }
            sink.taskFinished(TaskResult(start: started, end: Clock.wallNanos(), changed: false, failed: false,
                                         data: .map([("ping", .string(data))])))
            return nil

        case "command", "shell":
            let argv: [String]
            if request.module == "shell" {
                guard let raw = args["_raw_params"]?.stringValue ?? args["cmd"]?.stringValue, !raw.isEmpty else {
                    return fail("no command given")
                }
                argv = [args["executable"]?.stringValue ?? "/bin/sh", "-c", raw]
            } else if let list = args["argv"]?.listValue {
                argv = list.compactMap(\.stringValue)
            } else if let raw = args["_raw_params"]?.stringValue ?? args["cmd"]?.stringValue {
                do {
                    argv = try ShellWords.split(raw)
                } catch {
                    return fail("cannot split the command line: \(error)")
                }
            } else {
                argv = []
            }
            guard !argv.isEmpty else { return fail("no command given") }

            let directory = args["chdir"]?.stringValue
            if let creates = args["creates"]?.stringValue, Self.exists(creates, relativeTo: directory) {
                return skip("skipped, since \(creates) exists", "Did not run command since '\(creates)' exists", sink, started)
            }
            if let removes = args["removes"]?.stringValue, !Self.exists(removes, relativeTo: directory) {
                return skip("skipped, since \(removes) does not exist",
                            "Did not run command since '\(removes)' does not exist", sink, started)
            }
            var stdin: [UInt8]?
            if let input = args["stdin"] {
                var bytes: [UInt8]
                if case .bytes(let raw) = input { bytes = raw } else { bytes = Array((input.stringValue ?? "").utf8) }
                if args["stdin_add_newline"]?.boolValue ?? true { bytes.append(UInt8(ascii: "\n")) }
                stdin = bytes
            }
            var environment = baseEnvironment.filter { entry in
                guard let equals = entry.firstIndex(of: "=") else { return false }
                return request.environment[String(entry[..<equals])] == nil
            }
            for (key, value) in request.environment.sorted(by: { $0.key < $1.key }) { environment.append("\(key)=\(value)") }

            let task = ProcessTask(loop: loop, sink: sink, options: .init(
                arguments: argv, environment: environment, directory: directory, stdin: stdin,
                timeout: request.timeout, outputCap: request.outputCap, changed: true))
            task.start()
            return task

        case "copy":
            let task = CopyTask(loop: loop, sink: sink, arguments: args, context: context)
            task.start()
            return task

        case external:
            let task = ExternalModuleTask(loop: loop, sink: sink, request: request, context: context,
                                          baseEnvironment: baseEnvironment)
            task.start()
            return task

        default:
            return fail("module '\(request.module)' is not a built-in module (built-ins: \(names.sorted().joined(separator: ", ")))")
        }
    }

    private static func skip(_ stdout: String, _ message: String, _ sink: any TaskSink, _ started: Int64) -> (any RunningTask)? {
        sink.taskOutput(.stdout, Array(stdout.utf8))
        sink.taskFinished(TaskResult(rc: 0, start: started, end: Clock.wallNanos(), changed: false, message: message))
        return nil
    }

    private static func exists(_ path: String, relativeTo directory: String?) -> Bool {
        let full = path.hasPrefix("/") || directory == nil ? path : directory! + "/" + path
        var info = stat()
        return stat(full, &info) == 0
    }
}
