#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
@testable import RhizomeSSH

/// Runs `command` with /bin/sh and returns its exit status and standard output.
func shell(_ command: String) throws -> (status: Int32, output: String) {
    guard let pipe = popen(command, "r") else { throw TestFailure("cannot run \(command)") }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16 << 10)
    while true {
        let n = fread(&buffer, 1, buffer.count, pipe)
        if n == 0 { break }
        output += buffer[0 ..< n]
    }
    let status = pclose(pipe)
    return (status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F), String(decoding: output, as: UTF8.self))
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory under /tmp, removed after `body`.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array("/tmp/rhizome-ssh-tests-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw TestFailure("mkdtemp failed")
    }
    let path = String(cString: made)
    defer { _ = try? shell("rm -rf '\(path)'") }
    return try body(path)
}

func readText(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw TestFailure("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16 << 10)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n == 0 { break }
        bytes += buffer[0 ..< n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func writeText(_ path: String, _ text: String) throws {
    try writeBytes(path, Array(text.utf8))
}

func writeBytes(_ path: String, _ bytes: [UInt8]) throws {
    guard let file = fopen(path, "w") else { throw TestFailure("cannot create \(path)") }
    defer { fclose(file) }
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw TestFailure("cannot write \(path)") }
}

/// Generates a key pair with ssh-keygen at `path` (and `path.pub`).
func generateKey(at path: String, options: String, passphrase: String = "") throws {
    let result = try shell("ssh-keygen -q \(options) -N '\(passphrase)' -C rhizome-test -f '\(path)' </dev/null 2>&1")
    guard result.status == 0 else { throw TestFailure("ssh-keygen \(options) failed: \(result.output)") }
}

/// The public half of a generated key, as a HostKey.
func publicKey(at path: String) throws -> HostKey {
    let fields = try readText(path + ".pub").split(separator: " ")
    guard fields.count >= 2, let blob = Base64.decode(String(fields[1])) else { throw TestFailure("bad \(path).pub") }
    return HostKey(type: String(fields[0]), blob: blob)
}

/// Synthetic keys: matching compares blobs, which need not be real keys.
func fakeKey(_ name: String, type: String = "ssh-ed25519") -> HostKey {
    HostKey(type: type, blob: Array("\(type) \(name)".utf8))
}

/// A known_hosts line for `key`.
func entry(_ hosts: String, _ key: HostKey, marker: String? = nil) -> String {
    (marker.map { $0 + " " } ?? "") + "\(hosts) \(key.knownHostsText)"
}

/// Polls `condition` every few milliseconds for at most `limit` seconds.
func waitUntil(limit: Double = 10, _ condition: () -> Bool) -> Bool {
    var deadline = timespec()
    clock_gettime(CLOCK_MONOTONIC, &deadline)
    let end = Double(deadline.tv_sec) + Double(deadline.tv_nsec) / 1e9 + limit
    while true {
        if condition() { return true }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        if Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 >= end { return false }
        usleep(10_000)
    }
}
