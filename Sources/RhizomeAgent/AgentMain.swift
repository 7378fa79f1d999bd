#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeMesh
import RhizomeStore
import RhizomeWire

/// The agent's entry point.
///
/// Started by the bootstrap stage with `--stage-path PATH`: it hashes its own
/// image, removes the file (nothing stays on disk), announces itself on stdout
/// and then serves its parent link on stdin/stdout until the link closes.
public enum AgentMain {
    /// Release of the agent binary.
    public static let version = "0.1.0"

    public static func run(arguments: [String]) -> Never {
        signal(SIGPIPE, SIG_IGN)
        LibCrypto.keepUntilExit()
        // Before anything else: the tasks this agent starts must not outlive it.
        if arguments.dropFirst().first != "--version" { TaskReaper.start() }
        var stagePath: String?
        var verified = false
        var cacheDirectory: String?
        var cacheBytes: UInt64 = 1 << 30
        var index = 1
        while index < arguments.count {
            switch arguments[index] {
            case "--stage-path" where index + 1 < arguments.count:
                stagePath = arguments[index + 1]
                index += 2
            case "--cache-dir" where index + 1 < arguments.count:
                cacheDirectory = arguments[index + 1]
                index += 2
            case "--cache-bytes" where index + 1 < arguments.count:
                cacheBytes = UInt64(arguments[index + 1]) ?? cacheBytes
                index += 2
            case "--verified":
                verified = true
                index += 1
            case "--version":
                print("rhizome-agent \(version) (wire protocol \(WireProtocol.version))")
                exit(0)
            default:
                StandardError.write("rhizome-agent: this program is started by rhizome over its own link, not by hand\n")
                exit(2)
            }
        }

        // Where the stage could not check the image (no sha256sum), hash it
        // before removing it, so the parent can.
        let digest = verified ? [] : (Digest.sha256(ofFile: "/proc/self/exe") ?? stagePath.flatMap(Digest.sha256(ofFile:)))?.bytes ?? []
        var directory = ""
        if let stagePath {
            unlink(stagePath)
            if let slash = stagePath.lastIndex(of: "/") { directory = String(stagePath[..<slash]) }
        }

        let hello = Hello(agentVersion: version, imageDigest: digest, pid: getpid(), system: Self.uname(\.sysname),
                          release: Self.uname(\.release), machine: Self.uname(\.machine),
                          hostname: Self.hostname(), directory: directory)
        var greeting = Array("\n\(BootstrapScript.agentMarker)\(WireProtocol.version)\n".utf8)
        greeting += Envelope(hello, destination: .controller, source: NodeID(UInt32.max)).encodedFrames()
        do {
            try FileDescriptor.standardOutput.writeAll(greeting)
        } catch {
            exit(3)
        }

        do {
            var cache: TargetCache?
            if let cacheDirectory {
                cache = TargetCache(directory: cacheDirectory, limit: cacheBytes)
                cache?.evict()
                directory = cacheDirectory
            }
            let runtime = try AgentRuntime(environment: Self.environment(), workDirectory: directory.isEmpty ? "/tmp" : directory,
                                           targetCache: cache)
            runtime.run()
        } catch {
            StandardError.write("rhizome-agent: \(error)\n")
            exit(4)
        }
        exit(0)
    }

    static func uname(_ field: KeyPath<utsname, (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar)>) -> String {
        var info = utsname()
        guard Glibc.uname(&info) == 0 else { return "" }
        var value = info[keyPath: field]
        return withUnsafeBytes(of: &value) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }
}
