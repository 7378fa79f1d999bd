/// Agent → parent. The first frame an agent sends, right after its start marker.
public struct Hello: WireMessage, Hashable {
    public static let messageType = MessageType.hello

    /// Release of the agent, e.g. "0.1.0".
    public var agentVersion: String
    /// SHA-256 of the agent's own executable, read before it unlinked itself.
    /// The parent compares it with the image it sent.
    public var imageDigest: [UInt8]
    public var pid: Int32
    /// `uname` fields.
    public var system: String
    public var release: String
    public var machine: String
    public var hostname: String
    /// The directory the agent was started from (and removed itself from).
    public var directory: String

    public init(agentVersion: String, imageDigest: [UInt8], pid: Int32, system: String, release: String,
                machine: String, hostname: String, directory: String) {
        self.agentVersion = agentVersion
        self.imageDigest = imageDigest
        self.pid = pid
        self.system = system
        self.release = release
        self.machine = machine
        self.hostname = hostname
        self.directory = directory
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        agentVersion = try reader.readString()
        imageDigest = try reader.readByteString()
        pid = try reader.readInteger()
        system = try reader.readString()
        release = try reader.readString()
        machine = try reader.readString()
        hostname = try reader.readString()
        directory = try reader.readString()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeString(agentVersion)
        writer.writeByteString(imageDigest)
        writer.writeInteger(pid)
        writer.writeString(system)
        writer.writeString(release)
        writer.writeString(machine)
        writer.writeString(hostname)
        writer.writeString(directory)
    }
}

/// Parent → agent, in answer to `Hello`.
public struct Welcome: WireMessage, Hashable {
    public static let messageType = MessageType.welcome

    /// The id the agent answers to from now on.
    public var node: NodeID
    /// Its parent's id.
    public var parent: NodeID
    /// Seconds between keepalives, 0 for none. The parent pings the agent every
    /// interval (a relay pings each of its children as often), and the agent
    /// exits once it has heard nothing from its parent for three intervals.
    public var keepaliveInterval: UInt32
    /// Verbosity of `Log` messages the agent sends (0 = errors only … 4 = trace).
    public var logLevel: UInt8
    /// Bytes of payloads the agent may keep in memory.
    public var payloadCacheBytes: UInt64

    public init(node: NodeID, parent: NodeID, keepaliveInterval: UInt32 = 0, logLevel: UInt8 = 1,
                payloadCacheBytes: UInt64 = 256 << 20) {
        self.node = node
        self.parent = parent
        self.keepaliveInterval = keepaliveInterval
        self.logLevel = logLevel
        self.payloadCacheBytes = payloadCacheBytes
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        node = NodeID(try reader.readInteger(as: UInt32.self))
        parent = NodeID(try reader.readInteger(as: UInt32.self))
        keepaliveInterval = try reader.readInteger()
        logLevel = try reader.readInteger()
        payloadCacheBytes = try reader.readInteger()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInteger(node.rawValue)
        writer.writeInteger(parent.rawValue)
        writer.writeInteger(keepaliveInterval)
        writer.writeInteger(logLevel)
        writer.writeInteger(payloadCacheBytes)
    }
}

/// Liveness probe; the answer is a `Pong` with the same nonce.
public struct Ping: WireMessage, Hashable {
    public static let messageType = MessageType.ping
    public var nonce: UInt64
    public init(nonce: UInt64) { self.nonce = nonce }
    public init(from reader: inout ByteReader) throws(WireError) { nonce = try reader.readInteger() }
    public func encode(into writer: inout ByteWriter) { writer.writeInteger(nonce) }
}

public struct Pong: WireMessage, Hashable {
    public static let messageType = MessageType.pong
    public var nonce: UInt64
    public init(nonce: UInt64) { self.nonce = nonce }
    public init(from reader: inout ByteReader) throws(WireError) { nonce = try reader.readInteger() }
    public func encode(into writer: inout ByteWriter) { writer.writeInteger(nonce) }
}

/// Parent → agent: stop tasks, kill their process groups, exit.
public struct Shutdown: WireMessage, Hashable {
    public static let messageType = MessageType.shutdown
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public init(from reader: inout ByteReader) throws(WireError) { reason = try reader.readString() }
    public func encode(into writer: inout ByteWriter) { writer.writeString(reason) }
}

/// The sender closes the link because of this problem.
public struct ProtocolErrorMessage: WireMessage, Hashable {
    public static let messageType = MessageType.protocolError
    public var message: String
    public init(message: String) { self.message = message }
    public init(from reader: inout ByteReader) throws(WireError) { message = try reader.readString() }
    public func encode(into writer: inout ByteWriter) { writer.writeString(message) }
}

/// A log record from an agent.
public struct LogRecord: WireMessage, Hashable {
    public static let messageType = MessageType.log
    /// 0 error, 1 warning, 2 info, 3 debug, 4 trace.
    public var level: UInt8
    public var message: String
    public init(level: UInt8, message: String) {
        self.level = level
        self.message = message
    }
    public init(from reader: inout ByteReader) throws(WireError) {
        level = try reader.readInteger()
        message = try reader.readString()
    }
    public func encode(into writer: inout ByteWriter) {
        writer.writeInteger(level)
        writer.writeString(message)
    }
}
