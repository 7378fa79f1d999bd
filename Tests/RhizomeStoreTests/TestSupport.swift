#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `command` with /bin/sh and returns its exit status and standard output.
func shell(_ command: String) throws -> (status: Int32, output: [UInt8]) {
    guard let pipe = popen(command, "r") else { throw ShellFailure(command: command) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let n = fread(&buffer, 1, buffer.count, pipe)
        if n == 0 { break }
        output += buffer[0 ..< n]
    }
    let status = pclose(pipe)
    return (status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F), output)
}

struct ShellFailure: Error { var command: String }

/// A fresh directory under /tmp, removed after `body`.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array("/tmp/rhizome-store-tests-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw ShellFailure(command: "mkdtemp")
    }
    let path = String(cString: made)
    defer { _ = try? shell("rm -rf '\(path)'") }
    return try body(path)
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = fopen(path, "w") else { throw ShellFailure(command: "fopen \(path)") }
    defer { fclose(file) }
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw ShellFailure(command: "fwrite \(path)") }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "r") else { throw ShellFailure(command: "fopen \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n == 0 { break }
        bytes += buffer[0 ..< n]
    }
    return bytes
}

/// Deterministic pseudo-random bytes (SplitMix64), incompressible in practice.
func noise(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out: [UInt8] = []
    out.reserveCapacity(count + 8)
    while out.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        withUnsafeBytes(of: z) { out += $0 }
    }
    return Array(out.prefix(count))
}

/// Text that compresses well but is not a single repeated byte.
func prose(count: Int) -> [UInt8] {
    let words = ["rhizome", "agent", "controller", "payload", "digest", "bastion", "lab", "host", "key", "the"]
    var out: [UInt8] = []
    var index = 0
    while out.count < count {
        out += Array(words[(index * 7 + index / 3) % words.count].utf8)
        out.append(index % 11 == 0 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
        index += 1
    }
    return Array(out.prefix(count))
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// Test inputs by name: large arrays make slow and unreadable test arguments.
enum Sample: String, CaseIterable, Sendable, Codable {
    case empty, oneByte, line, prose100, prose64K, prose300K, prose1M, noise1, noise100, noise70K, noise200K,
         zeros1M, zeros3M, mixed

    var bytes: [UInt8] {
        switch self {
        case .empty: []
        case .oneByte: [0]
        case .line: Array("hello, compression\n".utf8)
        case .prose100: prose(count: 100)
        case .prose64K: prose(count: 65_536)
        case .prose300K: prose(count: 300_000)
        case .prose1M: prose(count: 1_000_003)
        case .noise1: noise(count: 1)
        case .noise100: noise(count: 100)
        case .noise70K: noise(count: 70_000)
        case .noise200K: noise(count: 200_000)
        case .zeros1M: [UInt8](repeating: 0, count: 1 << 20)
        case .zeros3M: [UInt8](repeating: 0, count: 3 << 20)
        case .mixed: prose(count: 100_000) + noise(count: 1000) + prose(count: 100_000)
        }
    }
}
