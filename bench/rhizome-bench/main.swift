import Foundation
import Logging
import RhizomeController
import RhizomeInventory
import RhizomeMesh
import RhizomeWire
import Synchronization

// Connect+bootstrap and warm round-trip figures for one lab host, next to the
// OpenSSH CLI on the same host. A benchmark, not a test: it prints figures.
//
// usage: rhizome-bench INVENTORY HOST [ROUNDS]

let arguments = CommandLine.arguments

// busy-ping INVENTORY PATTERN FILE: ping agents while FILE is fanned out to
// every host of PATTERN, to show that control messages overtake bulk data.
if arguments.count == 5 && arguments[1] == "busy-ping" {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let inventory = try Inventory.load(sources: [arguments[2]])
    let hosts = try inventory.select(arguments[3])
    let controller = try Controller(options: ControllerOptions(), agentPath: AgentLocator.locate(), logger: logger,
                                    signerFactory: { files in
                                        try KeySigner.start(identityFiles: files, useUserAgent: false, passphrase: { _ in nil })
                                    })
    var handles: [AgentHandle] = []
    for host in hosts {
        guard case .success(let handle) = await controller.connect(host) else { exit(1) }
        handles.append(handle)
    }
    let probes = controller.nodes.map(\.handle)
    let request = try TaskPreparation().prepare(module: "copy", arguments: .map([("src", .string(arguments[4])),
                                                                                 ("dest", .string("/tmp/rz-busy-ping-\(getpid())"))]),
                                                controller: controller)
    let done = Atomic<Bool>(false)
    let copying = Task {
        await withTaskGroup(of: Void.self) { group in
            for handle in handles { group.addTask { _ = await controller.run(request, on: handle) } }
        }
        done.store(true, ordering: .sequentiallyConsistent)
    }
    var rtts: [Double] = []
    let start = Date()
    while !done.load(ordering: .sequentiallyConsistent), Date().timeIntervalSince(start) < 600 {
        for probe in probes {
            if let rtt = await controller.ping(probe) { rtts.append(rtt) }
        }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    await copying.value
    let elapsed = Date().timeIntervalSince(start)
    await controller.shutdown()
    let sorted = rtts.sorted()
    print(String(format: "busy-ping: %d pings to %d agents during a %.1f s fan-out: median %.2f ms, p99 %.2f ms, max %.2f ms",
                 rtts.count, probes.count, elapsed, sorted[sorted.count / 2] * 1000,
                 sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000, sorted.last! * 1000))
    exit(0)
}

guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: rhizome-bench INVENTORY HOST [ROUNDS]\n".utf8))
    exit(2)
}
let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 1000 : 1000

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

let inventory = try Inventory.load(sources: [arguments[1]])
guard let host = try inventory.select(arguments[2]).first else {
    FileHandle.standardError.write(Data("no host \(arguments[2])\n".utf8))
    exit(2)
}
var logger = Logger(label: "bench")
logger.logLevel = .error

// 1. Connect + bootstrap, cold, several times (a fresh agent each time).
var bootstraps: [Double] = []
var phases: [LinkTimings] = []
for _ in 0 ..< 10 {
    let controller = try Controller(options: ControllerOptions(), agentPath: AgentLocator.locate(), logger: logger)
    let start = Date()
    switch await controller.connect(host) {
    case .success(let handle):
        bootstraps.append(Date().timeIntervalSince(start))
        phases.append(handle.timings)
    case .failure(let error):
        print("connect failed: \(error)")
        exit(1)
    }
    await controller.shutdown()
}

// 2. Warm round trips of `command true`.
let controller = try Controller(options: ControllerOptions(), agentPath: AgentLocator.locate(), logger: logger)
guard case .success(let handle) = await controller.connect(host) else { exit(1) }
let request = RunTask(module: "command", arguments: .map([("_raw_params", "true")]))
var trips: [Double] = []
for _ in 0 ..< rounds {
    let start = Date()
    let outcome = await controller.run(request, on: handle)
    trips.append(Date().timeIntervalSince(start))
    guard outcome.status == .changed else {
        print("task failed: \(outcome.message)")
        exit(1)
    }
}
var pings: [Double] = []
for _ in 0 ..< rounds {
    if let rtt = await controller.ping(handle) { pings.append(rtt) }
}
await controller.shutdown()

// 3. The OpenSSH CLI on the same host.
let spec = host.connection
var sshArguments = ["-o", "BatchMode=yes", "-p", String(spec.port)]
for key in spec.identityFiles { sshArguments += ["-i", key] }
if let knownHosts = spec.knownHostsFile { sshArguments += ["-o", "UserKnownHostsFile=\(knownHosts)"] }
sshArguments += ["\(spec.user ?? "root")@\(spec.address)", "true"]
var sshTimes: [Double] = []
for _ in 0 ..< 20 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
    process.arguments = sshArguments
    let start = Date()
    try process.run()
    process.waitUntilExit()
    sshTimes.append(Date().timeIntervalSince(start))
}

let median = percentile(trips, 0.5)
let sshMedian = percentile(sshTimes, 0.5)
print("host: \(host.name) (\(spec.address))")
print("connect+bootstrap, cold (10 runs): median \(ms(percentile(bootstraps, 0.5))), min \(ms(bootstraps.min()!)), max \(ms(bootstraps.max()!))")
print("  of which handshake \(ms(percentile(phases.map(\.handshake), 0.5))), auth \(ms(percentile(phases.map(\.authentication), 0.5))), "
    + "bootstrap \(ms(percentile(phases.map(\.bootstrap), 0.5)))")
print("command true on a warm agent (\(rounds) runs): median \(ms(median)), p90 \(ms(percentile(trips, 0.9))), p99 \(ms(percentile(trips, 0.99)))")
print("ping on a warm agent (\(pings.count) runs): median \(ms(percentile(pings, 0.5)))")
print("ssh host true, OpenSSH CLI (20 runs): median \(ms(sshMedian))")
print(String(format: "ratio: ssh CLI / warm rhizome task = %.0fx", sshMedian / median))
