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
    Welcome(node: NodeID(.max), parent: NodeID(.max - 1), keepaliveInterval: .max, logLevel: .max),
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
]
