#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeStore
import RhizomeWire

/// An agent started as a local subprocess, without SSH (`ansible_connection: local`).
public struct LocalAgent {
    public var process: ChildProcess
    public var hello: Hello
    public var leftover: [UInt8]

    /// Starts `executable` and performs the handshake. Blocking.
    public static func start(executable: String, welcome: Welcome, environment: [String]) throws -> LocalAgent {
        let process = try ChildProcess.spawn(arguments: [executable], environment: environment)
        let endpoint = "local agent (pid \(process.pid))"
        var reader = MarkerReader(endpoint: endpoint) {
            guard let bytes = try process.stdout.read(upTo: 64 << 10) else { return [] }
            if bytes.isEmpty {
                let status = process.wait()
                let errors = (try? process.stderr.read(upTo: 8192)) ?? nil
                var message = "the local agent exited (\(status))"
                if let errors, !errors.isEmpty { message += ": " + String(decoding: errors, as: UTF8.self) }
                throw BootstrapError(endpoint: endpoint, message: message)
            }
            return bytes
        }
        do {
            let (hello, leftover, _) = try AgentHandshake(expectedDigest: nil, welcome: welcome)
                .perform(reader: &reader) { bytes in
                    guard let input = process.stdin else { return }
                    try input.writeAll(bytes)
                }
            return LocalAgent(process: process, hello: hello, leftover: leftover)
        } catch {
            process.killGroup()
            _ = process.wait()
            throw error
        }
    }

    /// The transport over the agent's pipes (stderr is read as diagnostics).
    public func makeTransport() -> FileDescriptorTransport {
        FileDescriptorTransport(input: process.stdout, output: process.stdin ?? FileDescriptor(rawValue: -1),
                                diagnostics: process.stderr)
    }
}
