import RhizomeWire

/// Runs `body` and returns the `WireError` it threw, or nil if it returned.
func caught<T>(_ body: () throws(WireError) -> T) -> WireError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// True when `error` is a `malformedMessage`, whatever its reason.
func isMalformed(_ error: WireError?) -> Bool {
    guard let error, case .malformedMessage = error.code else { return false }
    return true
}

/// Bytes from a string of hex digits; spaces are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.unicodeScalars.filter { $0 != " " && $0 != "\n" })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { i in
        UInt8(String(String.UnicodeScalarView(digits[i ..< i + 2])), radix: 16)!
    }
}

/// A message's body as written by a `ByteWriter`.
func written(_ build: (inout ByteWriter) -> Void) -> [UInt8] {
    var writer = ByteWriter()
    build(&writer)
    return writer.bytes
}

/// The 22 header bytes with any field overridden.
func headerBytes(magic: UInt16 = WireProtocol.magic, version: UInt8 = WireProtocol.version, type: UInt8 = 3,
                 flags: UInt8 = 0, reserved: UInt8 = 0, length: UInt32 = 0, destination: UInt32 = 1,
                 source: UInt32 = 0, stream: UInt32 = 0) -> [UInt8] {
    var bytes: [UInt8] = []
    func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    put(magic)
    put(version)
    put(type)
    put(flags)
    put(reserved)
    put(length)
    put(destination)
    put(source)
    put(stream)
    return bytes
}

/// What a `FrameDecoder` makes of a whole stream: its frames, then the error that
/// stopped it (from `nextFrame()` or `finish()`), if any.
struct DecodedStream: Equatable {
    var frames: [Frame] = []
    var error: WireError?
}

/// Feeds `pieces` one after another to a fresh decoder, draining frames after
/// each piece when `drainEachPiece` is set (otherwise only at the end).
func decode<Piece: Collection>(pieces: [Piece], drainEachPiece: Bool = true) -> DecodedStream
where Piece.Element == UInt8 {
    var decoder = FrameDecoder()
    var result = DecodedStream()
    do {
        for piece in pieces {
            decoder.append(piece)
            if drainEachPiece {
                while let frame = try decoder.nextFrame() { result.frames.append(frame) }
            }
        }
        while let frame = try decoder.nextFrame() { result.frames.append(frame) }
        try decoder.finish()
    } catch {
        result.error = error
    }
    return result
}

/// Decodes a stream given in one piece.
func decode(_ bytes: [UInt8]) -> DecodedStream {
    decode(pieces: [bytes])
}

/// Every message type, with values at the edges of their fields.
let sampleMessages: [any WireMessage & Hashable] = [
    Hello(agentVersion: "0.1.0", imageDigest: Array(0 ..< 32), pid: 4242, system: "Linux", release: "6.1.0-18-amd64",
          machine: "x86_64", hostname: "web1.example.org", directory: "/tmp/.rhizome-1a2b"),
    Hello(agentVersion: "", imageDigest: [], pid: -1, system: "", release: "", machine: "", hostname: "hôte-çà-😀",
          directory: ""),
    Hello(agentVersion: "9.9.9", imageDigest: [UInt8](repeating: 0xFF, count: 300), pid: .min, system: "Darwin",
          release: "24.0.0", machine: "arm64", hostname: "mac", directory: "/Users/me/some where"),
    Welcome(node: NodeID(7), parent: .controller),
    Welcome(node: NodeID(.max), parent: NodeID(.max - 1), keepaliveInterval: .max, logLevel: .max,
            payloadCacheBytes: .max),
    Welcome(node: NodeID(1), parent: NodeID(0), keepaliveInterval: 0, logLevel: 0, payloadCacheBytes: 0),
    Ping(nonce: 0),
    Ping(nonce: .max),
    Pong(nonce: 0x0102_0304_0506_0708),
    Shutdown(reason: ""),
    Shutdown(reason: "controller interrupted (SIGINT)"),
    ProtocolErrorMessage(message: "bad frame magic 0x5353 (expected 0x525a, \"RZ\")"),
    ProtocolErrorMessage(message: String(repeating: "ü", count: 1000)),
    LogRecord(level: 0, message: "disk full"),
    LogRecord(level: 4, message: "line one\nline two\u{0}"),
    RunTask(module: "ping"),
    RunTask(module: "command",
            arguments: ["cmd": "uname -a", "chdir": nil, "creates": .bytes([0, 0xFF]), "argv": ["ls", "-l", 3]],
            environment: ["LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", "EMPTY": ""], timeout: 30.5,
            outputCap: 1 << 20),
    RunTask(module: "shell", arguments: .list([]), environment: ["ünï": "cödé"], timeout: .greatestFiniteMagnitude,
            outputCap: .max),
    TaskOutput(stream: .stdout, data: Array("hello\n".utf8)),
    TaskOutput(stream: .stderr, data: []),
    TaskOutput(stream: .stdout, data: (0 ... 255).map { UInt8($0) }),
    TaskResult(),
    TaskResult(rc: 0, start: 1_700_000_000_000_000_000, end: 1_700_000_000_250_000_000, changed: true,
               data: ["ping": "pong"]),
    TaskResult(rc: nil, signal: 9, start: .min, end: .max, failed: true, message: "killed by SIGKILL",
               stdoutDropped: .max, stderrDropped: 1, data: .null),
    TaskResult(rc: -1, signal: -2, start: -1, end: 0, changed: true, failed: true, message: "ç",
               data: [1, .double(-1.5), ["nested": [nil, true]]]),
    CancelTask(reason: "timeout after 30 s"),
    CancelTask(reason: ""),
    SpawnChild(node: NodeID(12), name: "db1", address: "10.0.0.12", port: 22, user: "deploy",
               knownHostsLines: ["10.0.0.12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", "@revoked * ssh-rsa AAAA"],
               knownHostsSource: "~/.ssh/known_hosts", hostKeyPolicy: 0,
               publicKeys: [Array("\0\0\0\u{0B}ssh-ed25519".utf8) + Array(0 ..< 32), []],
               publicKeyLabels: ["id_ed25519", ""], connectTimeout: 10, operationTimeout: 30, keepaliveInterval: 15),
    SpawnChild(node: NodeID(.max), name: "", address: "", port: .max, user: "", knownHostsLines: [],
               knownHostsSource: "", hostKeyPolicy: 2, publicKeys: [], publicKeyLabels: [], password: "",
               connectTimeout: 0, operationTimeout: .greatestFiniteMagnitude, keepaliveInterval: .max,
               payloadCacheBytes: .max),
    SpawnChild(node: NodeID(0), name: "hôte-😀", address: "fe80::1%eth0", port: 0, user: "ünï", knownHostsLines: [""],
               knownHostsSource: "/etc/ssh/ssh_known_hosts", hostKeyPolicy: 1, publicKeys: [[0xFF]],
               publicKeyLabels: ["a", "more labels than keys"], password: "pässwörd\n\u{0}",
               connectTimeout: -0.0, operationTimeout: .leastNonzeroMagnitude, keepaliveInterval: 0,
               payloadCacheBytes: 0),
    ChildUp(node: NodeID(12), hello: sampleHello, handshake: 0.25, authentication: 0.125, bootstrap: 1.5),
    ChildUp(node: NodeID(.max), hello: Hello(agentVersion: "", imageDigest: [], pid: .min, system: "", release: "",
                                             machine: "", hostname: "", directory: ""),
            handshake: 0, authentication: .greatestFiniteMagnitude, bootstrap: .leastNonzeroMagnitude,
            acceptedHostKeyLine: "[10.0.0.12]:2222 ssh-ed25519 AAAA", warning: "host key checking is off ⚠️",
            bootstrapBytesSent: .max),
    ChildDown(nodes: [], phase: "", reason: ""),
    ChildDown(nodes: [NodeID(12)], phase: "host key", reason: "host key for db1 differs from ~/.ssh/known_hosts:3",
              cause: "host key mismatch"),
    ChildDown(nodes: [NodeID(0), NodeID(.max), NodeID(12), NodeID(12)], phase: "link", reason: "lien perdu ü"),
    SignRequest(publicKey: [], data: []),
    SignRequest(publicKey: Array("\0\0\0\u{0B}ssh-ed25519".utf8) + Array(0 ..< 32), data: (0 ... 255).map { UInt8($0) }),
    SignResponse(),
    SignResponse(signature: [UInt8](repeating: 0xAB, count: 83)),
    SignResponse(error: "no key in the agent matches SHA256:ab/cd+é"),
    PayloadRequest(digest: sampleDigest, window: 4 << 20),
    PayloadRequest(digest: [UInt8](repeating: 0, count: 32), window: 0),
    PayloadRequest(digest: [UInt8](repeating: 0xFF, count: 32), window: .max),
    // The empty payload: one empty raw chunk.
    PayloadChunk(digest: sampleDigest, totalSize: 0, offset: 0, encoding: .raw, originalLength: 0, data: []),
    PayloadChunk(digest: sampleDigest, totalSize: 20, offset: 8, encoding: .raw, originalLength: 12,
                 data: [UInt8](repeating: 0x61, count: 12)),
    // An LZ4 block that expands to 20 "a".
    PayloadChunk(digest: sampleDigest, totalSize: 20, offset: 0, encoding: .lz4, originalLength: 20,
                 data: [0x1A, 0x61, 0x01, 0x00, 0x50, 0x61, 0x61, 0x61, 0x61, 0x61]),
    // The decoder checks no LZ4 data; receivers find a bad block when they expand it.
    PayloadChunk(digest: sampleDigest, totalSize: .max, offset: .max - UInt64(PayloadChunk.maxSize),
                 encoding: .lz4, originalLength: UInt32(PayloadChunk.maxSize), data: []),
    PayloadChunk(digest: sampleDigest, totalSize: .max, offset: .max, encoding: .raw, originalLength: 0, data: []),
    PayloadChunk(digest: sampleDigest, totalSize: UInt64(PayloadChunk.maxSize), offset: 0, encoding: .raw,
                 originalLength: UInt32(PayloadChunk.maxSize),
                 data: (0 ..< PayloadChunk.maxSize).map { UInt8(truncatingIfNeeded: $0 * 7) }),
    PayloadError(digest: sampleDigest, message: ""),
    PayloadError(digest: sampleDigest, message: "no node on the way holds payload 6162…, ü"),
    PayloadCredit(bytes: 0),
    PayloadCredit(bytes: .max),
    StatsRequest(),
    StatsReport(links: []),
    StatsReport(links: [
        LinkReport(child: NodeID(12)),
        LinkReport(child: NodeID(.max), bytesSent: .max, bytesReceived: .max, payloadBytesSent: .max,
                   payloadBytesReceived: .max, framesSent: .max, framesReceived: .max, bootstrapBytesSent: .max,
                   payloadsServed: .max, payloadsFromCache: .max),
        LinkReport(child: NodeID(13), bytesSent: 1, bytesReceived: 2, payloadBytesSent: 3, payloadBytesReceived: 4,
                   framesSent: 5, framesReceived: 6, bootstrapBytesSent: 7, payloadsServed: 8, payloadsFromCache: 9),
    ]),
]

/// The Hello a `ChildUp` sample carries.
let sampleHello = Hello(agentVersion: "0.1.0", imageDigest: Array(0 ..< 32), pid: 4242, system: "Linux",
                        release: "6.1.0-18-amd64", machine: "x86_64", hostname: "db1", directory: "/tmp/.rhizome-1a2b")

/// A 32-byte digest (SHA-256 of twenty "a").
let sampleDigest = hex("42492da06234ad0ac76f5d5debdb6d1ae027cffbe746a1c13b89bb8bc0139137")
