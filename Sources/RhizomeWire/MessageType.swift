/// The message type byte of a frame header.
public enum MessageType: UInt8, Sendable, CaseIterable {
    // Link set-up
    /// Agent → parent, first frame after the start marker.
    case hello = 1
    /// Parent → agent: the node id and settings the agent runs with.
    case welcome = 2
    /// Either way: liveness and round-trip time.
    case ping = 3
    case pong = 4
    /// Parent → agent: finish running tasks' clean-up and exit.
    case shutdown = 5
    /// Either way: the sender found a fatal problem with the link and closes it.
    case protocolError = 6
    /// Agent → controller: a log record.
    case log = 7

    // Tasks
    /// Controller → agent: run a module.
    case runTask = 10
    /// Agent → controller: a piece of a running task's stdout or stderr.
    case taskOutput = 11
    /// Agent → controller: a task finished.
    case taskResult = 12
    /// Controller → agent: stop a running task.
    case cancelTask = 13

    // Mesh
    /// Controller → relay: open an SSH link to a host and start an agent there.
    case spawnChild = 20
    /// Relay → controller: a child agent is up (ancestors learn the route).
    case childUp = 21
    /// Relay → controller: nodes that can no longer be reached (ancestors forget them).
    case childDown = 22
    /// Relay → controller: sign this authentication challenge.
    case signRequest = 23
    /// Controller → relay: the signature, or why not.
    case signResponse = 24

    // Payloads
    /// Child → parent: send me the payload with this digest.
    case payloadRequest = 30
    /// Parent → child: a piece of a payload.
    case payloadChunk = 31
    /// Parent → child: the payload cannot be had.
    case payloadError = 32
    /// Child → parent: room for more bytes of a payload transfer.
    case payloadCredit = 33

    // Statistics
    /// Controller → relay: report your links.
    case statsRequest = 40
    /// Relay → controller: per-link figures of a relay's children.
    case statsReport = 41
}

/// A message that travels as the payload of one or more frames.
public protocol WireMessage: Sendable {
    static var messageType: MessageType { get }
    init(from reader: inout ByteReader) throws(WireError)
    func encode(into writer: inout ByteWriter)
}

extension WireMessage {
    /// The encoded body.
    public var encodedBody: [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes a whole body; trailing bytes are an error.
    public init(body: [UInt8]) throws(WireError) {
        var reader = ByteReader(body)
        try self.init(from: &reader)
        try reader.expectEnd()
    }
}
