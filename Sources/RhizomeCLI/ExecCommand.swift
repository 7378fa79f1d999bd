import ArgumentParser
import Foundation
import Logging
import RhizomeController
import RhizomeInventory
import RhizomeTopology
import RhizomeWire

/// `rhizome exec`: run one module on every matched host.
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run one module on the hosts matched by a pattern.",
        discussion: """
            Exit status: 0 when every host succeeded, 2 when a task failed on some host, \
            4 when some host was unreachable (4 wins over 2), 1 for a bad inventory or file (a copy src that does \
            not exist included), 64 for bad options or module arguments.
            """
    )

    @OptionGroup var inventory: InventoryOptions
    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Host pattern, e.g. all, web, 'web:&prod', 'all:!db1'.")
    var pattern: String

    @Option(name: [.short, .customLong("module-name")], help: "Module to run.")
    var module: String = "command"

    @Option(name: [.short, .customLong("args")], help: "Module arguments: free-form for command/shell, key=value or JSON otherwise.")
    var args: String = ""

    @Option(name: .customLong("task-timeout"), parsing: .unconditional, help: "Seconds after which the task is killed on a host; 0 for none (at most 31536000, 365 days).")
    var taskTimeout: Double = 0

    @Option(name: .customLong("output-cap"), help: "Bytes of stdout and of stderr kept per host; the rest is dropped and reported. 0 for no cap.")
    var outputCap: UInt64 = 64 << 20

    @Option(name: .customLong("env"), help: "Environment variable for the task, NAME=VALUE (repeatable).")
    var environment: [String] = []

    @Option(name: [.customShort("M"), .customLong("module-path")],
            help: "Directories of external modules, colon-separated (default ./library).")
    var modulePath: String = "./library"

    @Option(name: .customLong("report"), help: "Write per-link and per-host figures of the run to this JSON file.")
    var report: String?

    @Flag(name: .short, help: "More output (-v timings, -vvv link diagnostics).")
    var verbosity: Int

    @Flag(help: "Draw the tree of hops and hosts live on the terminal: links as they come up, each host's task.")
    var live = false

    func validate() throws {
        guard !module.isEmpty else { throw ValidationError("-m needs a module name") }
        for entry in environment where !entry.contains("=") || entry.hasPrefix("=") {
            throw ValidationError("--env takes NAME=VALUE, got '\(entry)'")
        }
        try DurationOption.check(taskTimeout, option: "--task-timeout", maximum: DurationOption.maximumTaskTimeout, zero: "no timeout")
        if module == "command" || module == "shell", args.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("module \(module) needs a command: -a 'uname -a'")
        }
        _ = try parsedArguments()
    }

    /// `-a` as module parameters. Malformed or incomplete arguments are bad
    /// options (exit 64), found before the inventory is read.
    func parsedArguments() throws -> WireValue {
        do {
            let arguments = try ModuleArguments.parse(module: module, text: args)
            try TaskPreparation.check(module: module, arguments: arguments)
            return arguments
        } catch let failure as ModuleArguments.Failure {
            throw ValidationError(failure.description)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {

        let loaded = try inventory.load()
        for warning in loaded.warnings { Console.err("[WARNING]: \(warning)") }
        let hosts = try loaded.select(pattern, limit: inventory.limit)
        if hosts.isEmpty {
            Console.err("[WARNING]: no hosts matched '\(pattern)', nothing to do")
            return
        }
        let arguments = try parsedArguments()
        for warning in connection.controllerOptions().targetCacheWarnings(for: hosts) { Console.err("[WARNING]: \(warning)") }
        var env: [String: String] = [:]
        for entry in environment {
            let equals = entry.firstIndex(of: "=")!
            env[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        let progress = live ? LiveProgress.start(graph: TopologyGraph(inventory: loaded, hosts: hosts),
                                                  phase: "\(module) on \(hosts.count) host\(hosts.count == 1 ? "" : "s")") : nil
        defer { progress?.finish() }
        // While the tree is drawn, log lines go above it rather than through it.
        let logger = Logger.rhizome(verbosity: verbosity, progress: progress)
        var controllerOptions = connection.controllerOptions()
        controllerOptions.linkEvents = progress?.linkEvents
        let controller = try Controller(options: controllerOptions, agentPath: AgentLocator.locate(),
                                        logger: logger, signerFactory: SignerSetup.factory)
        let request: RunTask
        do {
            request = try TaskPreparation(modulePaths: modulePath.split(separator: ":").map(String.init))
                .prepare(module: module, arguments: arguments, environment: env, timeout: taskTimeout, outputCap: outputCap,
                         controller: controller)
        } catch {
            await controller.shutdown()
            throw CommandFailure("\(error)")
        }
        let started = Date()
        let formatter = AdHocFormatter(style: .detect())
        let module = module
        let verbose = verbosity >= 1
        var failed = false
        var unreachable = false
        var outcomes: [TaskOutcome] = []
        // Every host at once: the controller admits --forks link set-ups at a
        // time under each node (its own, and each relay's). Outcomes arrive
        // in a stream, so that an interrupted run stops waiting for links
        // still coming up.
        let (stream, sink) = AsyncStream.makeStream(of: TaskOutcome.self)
        let remaining = ManagedCounter(hosts.count)
        let grace = 3.0
        let interruption = Interruption(onInterrupt: {
            controller.cancelAll(reason: "interrupted by SIGINT on the controller", grace: grace)
            DispatchQueue.global().asyncAfter(deadline: .now() + grace + 1) { sink.finish() }
        }, beforeExit: { progress?.finish() })
        for host in hosts {
            Task {
                let outcome = await Self.runOne(host, request: request, controller: controller, module: module,
                                                progress: progress, verbose: verbose)
                sink.yield(outcome)
                if remaining.decrement() == 0 { sink.finish() }
            }
        }
        for await outcome in stream {
            outcomes.append(outcome)
            progress?.taskFinished(outcome)
            let text = formatter.format(outcome, module: module)
            if let progress { progress.print(text) } else { Console.out(text) }
            if outcome.status == .unreachable { unreachable = true }
            if outcome.status == .failed { failed = true }
        }
        let interrupted = interruption?.happened == true
        if interrupted {
            let finished = Set(outcomes.map(\.host))
            for host in hosts where !finished.contains(host.name) {
                let outcome = TaskOutcome(host: host.name, status: .failed,
                                          message: "interrupted by SIGINT on the controller before its link came up")
                outcomes.append(outcome)
                let text = formatter.format(outcome, module: module)
                if let progress { progress.print(text) } else { Console.out(text) }
            }
        }
        // The last frame stays on screen; what follows prints below it.
        progress?.finish()
        for warning in controller.collectedWarnings { Console.err("[WARNING]: \(warning)") }
        if let report {
            let figures = await controller.report(module: module, outcomes: outcomes, elapsed: Date().timeIntervalSince(started))
            do {
                try figures.json().write(to: URL(fileURLWithPath: report))
            } catch {
                Console.err("[WARNING]: cannot write the report to \(report): \(error)")
            }
        }
        await controller.shutdown()
        if interrupted {
            let ran = outcomes.filter { $0.result != nil }.count
            Console.err("[ERROR]: interrupted by SIGINT: \(ran) of \(hosts.count) host\(hosts.count == 1 ? "" : "s") ran the task "
                        + "(their tasks were cancelled where still running)")
            progress?.finish()
            Interruption.endBySignal()
        }
        if unreachable { throw ExitCode(4) }
        if failed { throw ExitCode(2) }
    }

    /// Connects one host and runs the task there.
    private static func runOne(_ host: ResolvedHost, request: RunTask, controller: Controller, module: String,
                               progress: LiveProgress?, verbose: Bool) async -> TaskOutcome {
        // Settings the agent cannot honour fail this host alone, before it connects.
        if let reason = UnsupportedSettings.reason(for: host) {
            return TaskOutcome(host: host.name, status: .failed, message: reason)
        }
        switch await controller.connect(host) {
        case .failure(let error):
            return TaskOutcome(error)
        case .success(let handle):
            progress?.taskStarted(host.name, task: module)
            let outcome = await controller.run(request, on: handle)
            if verbose {
                let t = handle.timings
                let line = String(format: "%@: handshake %.1f ms, auth %.1f ms, bootstrap %.1f ms, task %.1f ms",
                                  host.name, t.handshake * 1000, t.authentication * 1000, t.bootstrap * 1000,
                                  outcome.elapsed * 1000)
                if let progress { progress.note(line) } else { Console.err(line) }
            }
            return outcome
        }
    }
}

/// A count shared by tasks.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    /// The value after taking one off.
    func decrement() -> Int { lock.withLock { value -= 1; return value } }
}
