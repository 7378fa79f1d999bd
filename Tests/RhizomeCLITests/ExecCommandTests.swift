import ArgumentParser
import Foundation
import RhizomeController
import RhizomeWire
import Testing
@testable import RhizomeCLI

@Suite("rhizome exec: arguments")
struct ExecCommandTests {
    @Test("defaults and short options")
    func parsing() throws {
        let command = try ExecCommand.parse(["-i", "a.yml", "-i", "b.ini", "web:&prod", "-m", "shell", "-a", "echo hi",
                                             "-f", "4", "-u", "deploy", "--private-key", "k1", "--known-hosts", "kh",
                                             "--host-key-checking", "accept-new", "-T", "3", "--env", "A=1", "-vv"])
        #expect(command.inventory.inventory == ["a.yml", "b.ini"])
        #expect(command.pattern == "web:&prod")
        #expect(command.module == "shell")
        #expect(command.args == "echo hi")
        #expect(command.verbosity == 2)
        let options = command.connection.controllerOptions()
        #expect(options.forks == 4)
        #expect(options.user == "deploy")
        #expect(options.identityFiles == ["k1"])
        #expect(options.knownHostsFile == "kh")
        #expect(options.policyOverride == .acceptNew)
        #expect(options.connectTimeout == 3)
    }

    @Test("timeouts in range are taken as given; 0 is no task timeout and no output cap")
    func limits() throws {
        let command = try ExecCommand.parse(["-i", "h,", "all", "-a", "x", "--task-timeout", "31536000", "--output-cap", "0",
                                             "--operation-timeout", "86400", "-T", "0.5"])
        #expect(command.taskTimeout == 31_536_000)
        #expect(command.outputCap == 0)
        #expect(command.connection.controllerOptions().operationTimeout == 86_400)
        #expect(try ExecCommand.parse(["-i", "h,", "all", "-a", "x", "--task-timeout", "0"]).taskTimeout == 0)
    }

    @Test("command is the default module")
    func defaultModule() throws {
        let command = try ExecCommand.parse(["-i", "h1,", "all", "-a", "uname -a"])
        #expect(command.module == "command")
        #expect(command.outputCap == 64 << 20)
    }

    @Test("bad input is refused with a clear message", arguments: [
        (["-i", "h,", "all"], "module command needs a command"),
        (["-i", "h,", "all", "-a", "x", "-f", "0"], "--forks must be at least 1"),
        (["-i", "h,", "all", "-a", "x", "--env", "NOVALUE"], "--env takes NAME=VALUE"),
        (["-i", "h,", "all", "-a", "x", "--host-key-checking", "sometimes"], "sometimes"),
        (["-i", "h,", "all", "-a", "x", "--forks", "-1"], "--forks must be at least 1 (the number of links set up at once); got -1"),
        (["-i", "h,", "all", "-a", "x", "--task-timeout=-1"], "--task-timeout must be 0 (no timeout) or a positive number of seconds; got -1"),
        (["-i", "h,", "all", "-a", "x", "--task-timeout", "-1"], "--task-timeout must be 0 (no timeout)"),
        (["-i", "h,", "all", "-a", "x", "--task-timeout=nan"], "at most 31536000 s (365 days); got nan"),
        (["-i", "h,", "all", "-a", "x", "--task-timeout=inf"], "at most 31536000 s (365 days); got inf"),
        (["-i", "h,", "all", "-a", "x", "--task-timeout=1e10"], "--task-timeout must be at most 31536000 s (365 days); got 10000000000"),
        (["-i", "h,", "all", "-a", "x", "--operation-timeout=0"], "--operation-timeout must be a positive number of seconds; got 0"),
        (["-i", "h,", "all", "-a", "x", "--operation-timeout=1e6"], "--operation-timeout must be at most 86400 s (1 day)"),
        (["-i", "h,", "all", "-a", "x", "-T", "-3"], "-T/--timeout must be a positive number of seconds; got -3"),
        (["-i", "h,", "all", "-m", "copy", "-a", "dest=/tmp/x"], "copy needs src= or content="),
        (["-i", "h,", "all", "-m", "copy", "-a", "src=a content=b dest=/tmp/x"], "copy takes src= or content=, not both"),
        (["-i", "h,", "all", "-m", "copy", "-a", "src=a"], "copy needs dest="),
        (["-i", "h,", "all", "-m", "copy", "-a", "src=a loose"], "takes key=value arguments"),
    ])
    func validation(arguments: [String], message: String) {
        #expect {
            _ = try ExecCommand.parse(arguments)
        } throws: { error in
            ExecCommand.message(for: error).contains(message)
        }
    }
}

@Suite("module arguments")
struct ModuleArgumentsTests {
    @Test("free-form modules keep the command and pull out their own options")
    func freeForm() throws {
        let value = try ModuleArguments.parse(module: "command", text: "chdir=/tmp creates=/x ls -l 'a b' key=val")
        #expect(value == .map([("_raw_params", "ls -l 'a b' key=val"), ("chdir", "/tmp"), ("creates", "/x")]))
    }

    @Test("quoted option values are unquoted")
    func quotedOption() throws {
        let value = try ModuleArguments.parse(module: "shell", text: "chdir='/tmp/with space' echo \"$HOME\"")
        #expect(value == .map([("_raw_params", "echo \"$HOME\""), ("chdir", "/tmp/with space")]))
    }

    @Test("other modules take key=value pairs")
    func keyValue() throws {
        let value = try ModuleArguments.parse(module: "copy", text: "src=a.txt dest='/srv/my file' mode=0644")
        #expect(value == .map([("src", "a.txt"), ("dest", "/srv/my file"), ("mode", "0644")]))
    }

    @Test("JSON arguments keep types and key order")
    func json() throws {
        let value = try ModuleArguments.parse(module: "x", text: #"{"b": 1, "a": [true, null, 2.5, "s"]}"#)
        #expect(value == .map([("b", 1), ("a", [true, nil, .double(2.5), "s"])]))
    }

    @Test("errors are clear", arguments: [
        ("copy", "src=a loose", "takes key=value arguments"),
        ("command", "echo 'unbalanced", "unbalanced quotes"),
        ("x", "{bad json", "look like JSON but do not parse"),
    ])
    func errors(module: String, text: String, message: String) {
        #expect {
            _ = try ModuleArguments.parse(module: module, text: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}

@Suite("ad-hoc output")
struct AdHocFormatterTests {
    let formatter = AdHocFormatter(style: OutputStyle(colour: false))

    @Test("command results look like Ansible's")
    func command() {
        let outcome = TaskOutcome(host: "web1", status: .changed, result: TaskResult(rc: 0, changed: true),
                                  stdout: Array("Linux\n".utf8))
        #expect(formatter.format(outcome, module: "command") == "web1 | CHANGED | rc=0 >>\nLinux")
    }

    @Test("failures show rc, stdout and stderr")
    func failure() {
        let outcome = TaskOutcome(host: "db1", status: .failed,
                                  result: TaskResult(rc: 2, changed: true, failed: true, message: "non-zero return code"),
                                  stdout: Array("out\n".utf8), stderr: Array("err\n".utf8))
        #expect(formatter.format(outcome, module: "shell") == "db1 | FAILED | rc=2 >>\nout\nerr")
    }

    @Test("unreachable hosts print the reason as JSON")
    func unreachable() {
        let outcome = TaskOutcome.unreachable("ghost", "connect failed: No route to host")
        #expect(formatter.format(outcome, module: "command") == """
            ghost | UNREACHABLE! => {
                "changed": false,
                "msg": "connect failed: No route to host",
                "unreachable": true
            }
            """)
    }

    @Test("ping prints SUCCESS and its data")
    func ping() {
        let outcome = TaskOutcome(host: "web2", status: .ok, result: TaskResult(changed: false, data: .map([("ping", "pong")])))
        #expect(formatter.format(outcome, module: "ping") == """
            web2 | SUCCESS => {
                "changed": false,
                "ping": "pong"
            }
            """)
    }

    @Test("cut output is announced")
    func truncated() {
        let outcome = TaskOutcome(host: "h", status: .changed, result: TaskResult(rc: 0, changed: true, stdoutDropped: 10),
                                  stdout: Array("abc".utf8))
        #expect(formatter.format(outcome, module: "command")
            == "h | CHANGED | rc=0 >>\nabc\n[output cut at the --output-cap limit; stdout: 10 bytes dropped]")
    }

    @Test("colour only when asked")
    func colour() {
        let coloured = AdHocFormatter(style: OutputStyle(colour: true))
        let outcome = TaskOutcome(host: "h", status: .ok, result: TaskResult(changed: false))
        #expect(coloured.format(outcome, module: "ping").hasPrefix("\u{1B}[0;32m"))
    }
}

/// The real binary: bad options end with 64 and a reason before anything is
/// read or connected (the inventory names an address that would time out).
@Suite("rhizome exec: bad options, end to end")
struct ExecCommandEndToEndTests {
    @Test("bad options and module arguments exit 64 at once", .enabled(if: InventoryCommandTests.binary != nil, "rhizome binary not built"),
          arguments: [
              (["--task-timeout=-1"], "--task-timeout must be 0 (no timeout) or a positive number of seconds"),
              (["--task-timeout=nan"], "got nan"),
              (["--task-timeout=1e10"], "at most 31536000 s (365 days)"),
              (["--forks", "0"], "--forks must be at least 1"),
              (["--operation-timeout", "-1"], "--operation-timeout must be a positive number"),
              (["-m", "copy", "-a", "dest=/tmp/x"], "copy needs src= or content="),
              (["-m", "copy", "-a", "src=a loose"], "cannot use 'loose'"),
          ])
    func refused(options: [String], message: String) throws {
        let started = Date()
        var arguments = ["exec", "-i", "198.51.100.1,", "all", "-T", "30"] + options
        if !options.contains("-a") { arguments += ["-a", "true"] }
        let result = try InventoryCommandTests.run(arguments)
        #expect(result.status == 64)
        #expect(result.err.contains(message), "\(result.err)")
        #expect(!result.out.contains("UNREACHABLE"))
        #expect(Date().timeIntervalSince(started) < 10)
    }
}
