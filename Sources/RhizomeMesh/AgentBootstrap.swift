#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO
import RhizomeSSH
import RhizomeStore
import RhizomeWire

/// Why an agent could not be started.
public struct BootstrapError: Error, Sendable, CustomStringConvertible {
    public var endpoint: String
    public var message: String
    public var description: String { "\(endpoint): \(message)" }
}

/// Runs the bootstrap protocol (see `BootstrapScript`) on a blocking exec
/// channel, up to and including the Hello/Welcome handshake.
public struct AgentBootstrap: Sendable {
    /// What the handshake established.
    public struct Outcome {
        public var channel: SSHChannel
        public var hello: Hello
        /// Frame bytes read past the Hello, which belong to the link.
        public var leftover: [UInt8]
        /// Bytes sent before framing began (stage answer + image).
        public var bytesSent: Int
        /// Bytes received before framing began.
        public var bytesReceived: Int
    }

    public var image: AgentImage
    public var welcome: Welcome
    /// Keep (and reuse) the agent in this cache on the target.
    public var cache: TargetCacheSettings?

    public init(image: AgentImage, welcome: Welcome, cache: TargetCacheSettings? = nil) {
        self.image = image
        self.welcome = welcome
        self.cache = cache
    }

    /// Starts the stage on `session` and brings the agent up.
    public func run(on session: SSHSession) throws -> Outcome {
        let channel = try session.exec(BootstrapScript.remoteCommand(cache: cache))
        var stderr: [UInt8] = []
        var reader = MarkerReader(endpoint: session.endpoint) {
            try Self.readChunk(channel, stderr: &stderr, endpoint: session.endpoint)
        }

        // 1. Skip anything the login shell printed, up to the stage's line.
        let stageLine = try reader.readLine(until: BootstrapScript.stageMarker)
        let fields = Self.parseFields(stageLine)
        let useGzip = fields["gzip"] == "1" && image.gzipped != nil

        // 2. Send the image, unless the target cache had it.
        var header: [UInt8] = []
        var payload: [UInt8] = []
        if fields["cached"] != "1" {
            payload = useGzip ? image.gzipped! : image.bytes
            header = Array("\(useGzip ? "gz" : "raw") \(payload.count) \(image.digest.hex)\n".utf8)
            try channel.writeAll(header)
            try channel.writeAll(payload)
        }

        // 3. The agent announces itself; 4. Hello, then Welcome.
        let handshake = AgentHandshake(expectedDigest: image.digest, welcome: welcome,
                                       verifiedByStage: fields["sha256sum"] == "1")
        let (hello, leftover, welcomeSize) = try handshake.perform(reader: &reader) { try channel.writeAll($0) }
        return Outcome(channel: channel, hello: hello, leftover: leftover,
                       bytesSent: header.count + payload.count + welcomeSize,
                       bytesReceived: reader.totalRead)
    }

    /// Next stdout bytes of the channel, collecting stderr on the side. End of
    /// stream is an error that carries the remote stderr and exit status.
    ///
    /// Reads are non-blocking with our own poll: a blocking read of stderr would
    /// wait for stderr data that never comes.
    static func readChunk(_ channel: SSHChannel, stderr: inout [UInt8], endpoint: String) throws -> [UInt8] {
        let session = channel.session
        session.isBlocking = false
        defer { session.isBlocking = true }
        let deadline = Clock.seconds() + session.timeout
        while true {
            while case .data(let bytes) = try channel.read(max: 64 << 10, stderr: true) {
                stderr.append(contentsOf: bytes.prefix(max(0, 8192 - stderr.count)))
            }
            switch try channel.read(max: 256 << 10) {
            case .data(let bytes):
                return bytes
            case .wouldBlock:
                let remaining = deadline - Clock.seconds()
                guard remaining > 0 else {
                    throw BootstrapError(endpoint: endpoint, message: "timed out after \(Int(session.timeout)) s waiting for the remote side")
                }
                var events = session.blockDirections
                events.insert(.readable)
                var pfd = pollfd(fd: session.socket, events: events.rawValue, revents: 0)
                _ = poll(&pfd, 1, Int32(min(remaining, 1) * 1000))
            case .eof:
                while case .data(let bytes) = try channel.read(max: 64 << 10, stderr: true) {
                    stderr.append(contentsOf: bytes.prefix(max(0, 8192 - stderr.count)))
                }
                session.isBlocking = true
                channel.close()
                let errorText = String(decoding: stderr, as: UTF8.self).trimmingTrailingSpace
                var message = "the remote side closed the channel (exit status \(channel.exitStatus))"
                if !errorText.isEmpty { message += ": \(errorText)" }
                throw BootstrapError(endpoint: endpoint, message: message)
            }
        }
    }

    static func parseFields(_ line: String) -> [String: String] {
        var fields: [String: String] = [:]
        for field in line.split(separator: " ") {
            guard let equals = field.firstIndex(of: "=") else { continue }
            fields[String(field[..<equals])] = String(field[field.index(after: equals)...])
        }
        return fields
    }
}

/// The agent-side half of starting up, shared by SSH and local agents: wait for
/// the start marker, read `Hello`, check the image digest, answer `Welcome`.
public struct AgentHandshake {
    public var expectedDigest: Digest?
    public var welcome: Welcome
    /// The stage already checked the image with sha256sum; the agent then
    /// reports no digest of its own.
    public var verifiedByStage: Bool

    public init(expectedDigest: Digest?, welcome: Welcome, verifiedByStage: Bool = false) {
        self.expectedDigest = expectedDigest
        self.welcome = welcome
        self.verifiedByStage = verifiedByStage
    }

    /// Returns the hello, bytes read past it, and the size of the welcome sent.
    public func perform(reader: inout MarkerReader, write: ([UInt8]) throws -> Void) throws -> (Hello, [UInt8], Int) {
        let agentLine = try reader.readLine(until: BootstrapScript.agentMarker)
        let version = agentLine.split(separator: " ").first.map(String.init) ?? ""
        guard version == String(WireProtocol.version) else {
            throw BootstrapError(endpoint: reader.endpoint,
                                 message: "the agent speaks wire protocol \(version.isEmpty ? "?" : version), "
                                     + "this controller speaks \(WireProtocol.version); use matching builds")
        }
        var decoder = FrameDecoder()
        var assembler = MessageAssembler()
        decoder.append(reader.takeBuffered())
        var hello: Hello?
        while hello == nil {
            if let frame = try decoder.nextFrame() {
                if let envelope = try assembler.push(frame) { hello = try envelope.decode(Hello.self) }
                continue
            }
            decoder.append(try reader.readChunk())
        }
        guard let hello else { throw BootstrapError(endpoint: reader.endpoint, message: "no hello from the agent") }
        if let expectedDigest, hello.imageDigest != expectedDigest.bytes, !(verifiedByStage && hello.imageDigest.isEmpty) {
            let got = Digest(bytes: hello.imageDigest).map(\.hex) ?? "?"
            throw BootstrapError(endpoint: reader.endpoint,
                                 message: "agent image corrupted in transit: sent \(expectedDigest.hex), agent has \(got)")
        }
        let welcomeBytes = Envelope(welcome, destination: welcome.node, source: welcome.parent).encodedFrames()
        try write(welcomeBytes)

        var leftover: [UInt8] = []
        while let frame = try decoder.nextFrame() { frame.write(into: &leftover) }
        // The agent sends nothing after Hello until it has the Welcome, so a
        // partial frame here means a broken agent.
        guard decoder.bufferedByteCount == 0 else {
            throw BootstrapError(endpoint: reader.endpoint, message: "the agent sent a partial frame after its hello")
        }
        return (hello, leftover, welcomeBytes.count)
    }
}

/// Reads marker lines from a byte source, skipping noise before them and
/// keeping what follows in a buffer.
public struct MarkerReader {
    public let endpoint: String
    private let source: () throws -> [UInt8]
    private var buffer: [UInt8] = []
    public private(set) var totalRead = 0

    public init(endpoint: String, source: @escaping () throws -> [UInt8]) {
        self.endpoint = endpoint
        self.source = source
    }

    public mutating func takeBuffered() -> [UInt8] {
        defer { buffer.removeAll() }
        return buffer
    }

    public mutating func readChunk() throws -> [UInt8] {
        let bytes = try source()
        totalRead += bytes.count
        return bytes
    }

    /// Returns the rest of the first line that starts with `marker`, discarding
    /// everything before it. Stage errors become `BootstrapError`s.
    public mutating func readLine(until marker: String) throws -> String {
        let markerBytes = Array(marker.utf8)
        let errorBytes = Array(BootstrapScript.stageErrorMarker.utf8)
        while true {
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.starts(with: markerBytes) {
                    return String(decoding: line.dropFirst(markerBytes.count), as: UTF8.self)
                }
                if line.starts(with: errorBytes) {
                    throw BootstrapError(endpoint: endpoint,
                                         message: "the stage reported: " + String(decoding: line.dropFirst(errorBytes.count), as: UTF8.self))
                }
            }
            // Noise without a newline cannot grow forever.
            if buffer.count > 1 << 20 {
                throw BootstrapError(endpoint: endpoint, message: "more than 1 MiB of output without the \(marker.trimmingTrailingSpace) marker")
            }
            buffer.append(contentsOf: try readChunk())
        }
    }
}

extension String {
    var trimmingTrailingSpace: String {
        var scalars = Substring(self)
        while let last = scalars.last, last == " " || last == "\n" || last == "\r" || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
