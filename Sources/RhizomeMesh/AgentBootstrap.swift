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
public struct AgentBootstrap {
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

    public init(image: AgentImage, welcome: Welcome) {
        self.image = image
        self.welcome = welcome
    }

    /// Starts the stage on `session` and brings the agent up.
    public func run(on session: SSHSession) throws -> Outcome {
        let channel = try session.exec(BootstrapScript.remoteCommand)
        var reader = ChannelLineReader(channel: channel)

        // 1. Skip anything the login shell printed, up to the stage's line.
        let stageLine = try reader.readLine(until: BootstrapScript.stageMarker, endpoint: session.endpoint)
        let fields = Self.parseFields(stageLine)
        let useGzip = fields["gzip"] == "1" && image.gzipped != nil

        // 2. Send the image.
        let payload = useGzip ? image.gzipped! : image.bytes
        let header = Array("\(useGzip ? "gz" : "raw") \(payload.count) \(image.digest.hex)\n".utf8)
        try channel.writeAll(header)
        try channel.writeAll(payload)

        // 3. The agent announces itself.
        let agentLine = try reader.readLine(until: BootstrapScript.agentMarker, endpoint: session.endpoint)
        let version = agentLine.split(separator: " ").first.map(String.init) ?? ""
        guard version == String(WireProtocol.version) else {
            throw BootstrapError(endpoint: session.endpoint,
                                 message: "the agent speaks wire protocol \(version.isEmpty ? "?" : version), "
                                     + "this controller speaks \(WireProtocol.version); use matching builds")
        }

        // 4. Hello, then Welcome.
        var decoder = FrameDecoder()
        var assembler = MessageAssembler()
        decoder.append(reader.takeBuffered())
        var hello: Hello?
        while hello == nil {
            if let frame = try decoder.nextFrame() {
                if let envelope = try assembler.push(frame) {
                    hello = try envelope.decode(Hello.self)
                }
                continue
            }
            let bytes = try reader.readChunk(endpoint: session.endpoint, waitingFor: "the agent's hello")
            decoder.append(bytes)
        }
        guard let hello else { throw BootstrapError(endpoint: session.endpoint, message: "no hello") }
        guard hello.imageDigest == image.digest.bytes else {
            let got = Digest(bytes: hello.imageDigest).map(\.hex) ?? "?"
            throw BootstrapError(endpoint: session.endpoint,
                                 message: "agent image corrupted in transit: sent \(image.digest.hex), agent has \(got)")
        }
        let welcomeBytes = Envelope(welcome, destination: welcome.node, source: welcome.parent).encodedFrames()
        try channel.writeAll(welcomeBytes)

        var leftover: [UInt8] = []
        while let frame = try decoder.nextFrame() { frame.write(into: &leftover) }
        // The agent sends nothing after Hello until it has the Welcome, so a
        // partial frame here means a broken agent.
        guard decoder.bufferedByteCount == 0 else {
            throw BootstrapError(endpoint: session.endpoint, message: "the agent sent a partial frame after its hello")
        }
        return Outcome(channel: channel, hello: hello, leftover: leftover,
                       bytesSent: header.count + payload.count + welcomeBytes.count,
                       bytesReceived: reader.totalRead)
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

/// Reads lines from a blocking channel, keeping what follows in a buffer.
struct ChannelLineReader {
    let channel: SSHChannel
    private var buffer: [UInt8] = []
    private var stderr: [UInt8] = []
    private(set) var totalRead = 0

    init(channel: SSHChannel) {
        self.channel = channel
    }

    mutating func takeBuffered() -> [UInt8] {
        defer { buffer.removeAll() }
        return buffer
    }

    /// Returns the rest of the first line that starts with `marker`, discarding
    /// everything before it. Stage errors become `BootstrapError`s.
    mutating func readLine(until marker: String, endpoint: String) throws -> String {
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
                                         message: "bootstrap failed: " + String(decoding: line.dropFirst(errorBytes.count), as: UTF8.self))
                }
            }
            let chunk = try readChunk(endpoint: endpoint, waitingFor: marker.trimmingTrailingSpace)
            buffer.append(contentsOf: chunk)
        }
    }

    /// Reads the next bytes of stdout; end of stream is an error naming what was awaited.
    mutating func readChunk(endpoint: String, waitingFor what: String) throws -> [UInt8] {
        while true {
            if case .data(let bytes) = try channel.read(max: 64 << 10, stderr: true) {
                stderr.append(contentsOf: bytes.prefix(8192 - min(8192, stderr.count)))
            }
            switch try channel.read(max: 256 << 10) {
            case .data(let bytes):
                totalRead += bytes.count
                return bytes
            case .wouldBlock:
                continue
            case .eof:
                while case .data(let bytes) = try channel.read(max: 64 << 10, stderr: true) {
                    stderr.append(contentsOf: bytes.prefix(8192 - min(8192, stderr.count)))
                }
                channel.close()
                let status = channel.exitStatus
                let errorText = String(decoding: stderr, as: UTF8.self).trimmingTrailingSpace
                var message = "the remote side ended before \(what) (exit status \(status))"
                if !errorText.isEmpty { message += ": \(errorText)" }
                throw BootstrapError(endpoint: endpoint, message: message)
            }
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
