/// Controller → relay. The frame's stream id is free; `node` names the child.
///
/// Carries everything the relay needs to reach the child, but no private key:
/// signatures are requested from the controller (`SignRequest`).
public struct SpawnChild: WireMessage, Hashable {
    public static let messageType = MessageType.spawnChild

    /// The id the child gets.
    public var node: NodeID
    /// Inventory name, for messages.
    public var name: String
    /// The host as written: a name, which the relay resolves with its own files
    /// (its /etc/hosts, resolv.conf and nsswitch.conf order), or a numeric address.
    public var address: String
    public var port: UInt16
    public var user: String
    /// The controller's known_hosts lines that concern this host.
    public var knownHostsLines: [String]
    /// Where those lines came from, for messages.
    public var knownHostsSource: String
    /// 0 strict, 1 accept-new, 2 off.
    public var hostKeyPolicy: UInt8
    /// Public keys to offer, in order; the controller signs for them.
    public var publicKeys: [[UInt8]]
    /// Labels of those keys, for messages.
    public var publicKeyLabels: [String]
    /// Password authentication, when the inventory sets one. Never logged.
    public var password: String?
    public var connectTimeout: Double
    public var operationTimeout: Double
    /// Keepalive interval the child is told in its Welcome.
    public var keepaliveInterval: UInt32
    /// Payload cache bound the child is told in its Welcome.
    public var payloadCacheBytes: UInt64
    /// The line number in `knownHostsSource` of each of `knownHostsLines`, for messages.
    public var knownHostsLineNumbers: [UInt32]
    /// ssh_config HostKeyAlias: the name known_hosts is searched for instead of `address`.
    public var hostKeyAlias: String?
    /// ssh_config CheckHostIP: also check the key recorded for the address the relay connects to.
    public var checkHostIP: Bool

    public init(node: NodeID, name: String, address: String, port: UInt16, user: String, knownHostsLines: [String],
                knownHostsSource: String, hostKeyPolicy: UInt8, publicKeys: [[UInt8]], publicKeyLabels: [String],
                password: String? = nil, connectTimeout: Double, operationTimeout: Double, keepaliveInterval: UInt32,
                payloadCacheBytes: UInt64 = 256 << 20, knownHostsLineNumbers: [UInt32]? = nil, hostKeyAlias: String? = nil,
                checkHostIP: Bool = false) {
        self.payloadCacheBytes = payloadCacheBytes
        self.knownHostsLineNumbers = knownHostsLineNumbers ?? knownHostsLines.indices.map { UInt32($0 + 1) }
        self.hostKeyAlias = hostKeyAlias
        self.checkHostIP = checkHostIP
        self.node = node
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.knownHostsLines = knownHostsLines
        self.knownHostsSource = knownHostsSource
        self.hostKeyPolicy = hostKeyPolicy
        self.publicKeys = publicKeys
        self.publicKeyLabels = publicKeyLabels
        self.password = password
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.keepaliveInterval = keepaliveInterval
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        node = NodeID(try reader.readInteger(as: UInt32.self))
        name = try reader.readString()
        address = try reader.readString()
        port = try reader.readInteger()
        user = try reader.readString()
        knownHostsLines = try reader.readStringList()
        knownHostsSource = try reader.readString()
        hostKeyPolicy = try reader.readInteger()
        guard hostKeyPolicy <= 2 else { throw WireError(.malformedMessage("bad host key policy \(hostKeyPolicy)")) }
        let keyCount = try reader.readLength(limit: reader.remaining)
        var keys: [[UInt8]] = []
        for _ in 0 ..< keyCount { keys.append(try reader.readByteString()) }
        publicKeys = keys
        publicKeyLabels = try reader.readStringList()
        password = try reader.readBool() ? try reader.readString() : nil
        connectTimeout = try reader.readDuration()
        operationTimeout = try reader.readDuration()
        keepaliveInterval = try reader.readInteger()
        payloadCacheBytes = try reader.readInteger()
        let numberCount = try reader.readLength(limit: reader.remaining)
        guard numberCount == knownHostsLines.count else {
            throw WireError(.malformedMessage("\(numberCount) known_hosts line numbers for \(knownHostsLines.count) lines"))
        }
        var numbers: [UInt32] = []
        numbers.reserveCapacity(min(numberCount, FrameLimits.maxReservedElements))
        for _ in 0 ..< numberCount {
            guard let number = UInt32(exactly: try reader.readVarint()) else {
                throw WireError(.malformedMessage("known_hosts line number over 2^32"))
            }
            numbers.append(number)
        }
        knownHostsLineNumbers = numbers
        hostKeyAlias = try reader.readBool() ? try reader.readString() : nil
        checkHostIP = try reader.readBool()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInteger(node.rawValue)
        writer.writeString(name)
        writer.writeString(address)
        writer.writeInteger(port)
        writer.writeString(user)
        writer.writeStringList(knownHostsLines)
        writer.writeString(knownHostsSource)
        writer.writeInteger(hostKeyPolicy)
        writer.writeLength(publicKeys.count)
        for key in publicKeys { writer.writeByteString(key) }
        writer.writeStringList(publicKeyLabels)
        writer.writeBool(password != nil)
        if let password { writer.writeString(password) }
        writer.writeInteger(connectTimeout.bitPattern)
        writer.writeInteger(operationTimeout.bitPattern)
        writer.writeInteger(keepaliveInterval)
        writer.writeInteger(payloadCacheBytes)
        writer.writeLength(knownHostsLineNumbers.count)
        for number in knownHostsLineNumbers { writer.writeVarint(UInt64(number)) }
        writer.writeBool(hostKeyAlias != nil)
        if let hostKeyAlias { writer.writeString(hostKeyAlias) }
        writer.writeBool(checkHostIP)
    }
}

/// Relay → controller: the child named in `SpawnChild` is up. Every relay on
/// the way up learns that `node` is reached through the link it came from.
public struct ChildUp: WireMessage, Hashable {
    public static let messageType = MessageType.childUp

    public var node: NodeID
    /// The child's own Hello.
    public var hello: Hello
    /// Seconds: connect+key exchange, authentication, bootstrap.
    public var handshake: Double
    public var authentication: Double
    public var bootstrap: Double
    /// A known_hosts line to record (accept-new admitted a new host), or "".
    public var acceptedHostKeyLine: String
    /// A loud warning (host key checking off), or "".
    public var warning: String
    /// Bytes of the bootstrap (stage answer, image, welcome) sent to the child.
    public var bootstrapBytesSent: UInt64

    public init(node: NodeID, hello: Hello, handshake: Double, authentication: Double, bootstrap: Double,
                acceptedHostKeyLine: String = "", warning: String = "", bootstrapBytesSent: UInt64 = 0) {
        self.node = node
        self.hello = hello
        self.handshake = handshake
        self.authentication = authentication
        self.bootstrap = bootstrap
        self.acceptedHostKeyLine = acceptedHostKeyLine
        self.warning = warning
        self.bootstrapBytesSent = bootstrapBytesSent
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        node = NodeID(try reader.readInteger(as: UInt32.self))
        hello = try Hello(from: &reader)
        handshake = try reader.readDuration()
        authentication = try reader.readDuration()
        bootstrap = try reader.readDuration()
        acceptedHostKeyLine = try reader.readString()
        warning = try reader.readString()
        bootstrapBytesSent = try reader.readInteger()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInteger(node.rawValue)
        hello.encode(into: &writer)
        writer.writeInteger(handshake.bitPattern)
        writer.writeInteger(authentication.bitPattern)
        writer.writeInteger(bootstrap.bitPattern)
        writer.writeString(acceptedHostKeyLine)
        writer.writeString(warning)
        writer.writeInteger(bootstrapBytesSent)
    }
}

/// Relay → controller: these nodes cannot be reached any more (or never came
/// up), because of `reason`. Relays on the way up forget their routes.
public struct ChildDown: WireMessage, Hashable {
    public static let messageType = MessageType.childDown

    public var nodes: [NodeID]
    /// Which phase failed when a spawn failed ("connect", "host key", …), or "link".
    public var phase: String
    public var reason: String
    /// Why, in the words of `LinkFailureCause` ("host key mismatch", "no route", …),
    /// or empty when only the phase is known.
    public var cause: String

    public init(nodes: [NodeID], phase: String, reason: String, cause: String = "") {
        self.nodes = nodes
        self.phase = phase
        self.reason = reason
        self.cause = cause
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let count = try reader.readLength(limit: reader.remaining / 4)
        var nodes: [NodeID] = []
        for _ in 0 ..< count { nodes.append(NodeID(try reader.readInteger(as: UInt32.self))) }
        self.nodes = nodes
        phase = try reader.readString()
        reason = try reader.readString()
        cause = try reader.readString()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeLength(nodes.count)
        for node in nodes { writer.writeInteger(node.rawValue) }
        writer.writeString(phase)
        writer.writeString(reason)
        writer.writeString(cause)
    }
}

/// Relay → controller: sign `data` with the key whose public blob is `publicKey`.
/// The stream id pairs it with its `SignResponse`.
public struct SignRequest: WireMessage, Hashable {
    public static let messageType = MessageType.signRequest
    public var publicKey: [UInt8]
    public var data: [UInt8]

    public init(publicKey: [UInt8], data: [UInt8]) {
        self.publicKey = publicKey
        self.data = data
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        publicKey = try reader.readByteString()
        data = try reader.readByteString()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeByteString(publicKey)
        writer.writeByteString(data)
    }
}

/// Controller → relay: the SSH signature blob, or an error.
public struct SignResponse: WireMessage, Hashable {
    public static let messageType = MessageType.signResponse
    public var signature: [UInt8]
    public var error: String

    public init(signature: [UInt8] = [], error: String = "") {
        self.signature = signature
        self.error = error
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        signature = try reader.readByteString()
        error = try reader.readString()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeByteString(signature)
        writer.writeString(error)
    }
}

extension ByteReader {
    public mutating func readStringList() throws(WireError) -> [String] {
        let count = try readLength(limit: remaining)
        var list: [String] = []
        list.reserveCapacity(min(count, FrameLimits.maxReservedElements))
        for _ in 0 ..< count { list.append(try readString()) }
        return list
    }

    /// A non-negative, finite number of seconds.
    public mutating func readDuration() throws(WireError) -> Double {
        let value = Double(bitPattern: try readInteger(as: UInt64.self))
        guard value.isFinite, value >= 0 else { throw WireError(.malformedMessage("bad duration")) }
        return value
    }
}

extension ByteWriter {
    public mutating func writeStringList(_ list: [String]) {
        writeLength(list.count)
        for item in list { writeString(item) }
    }
}
