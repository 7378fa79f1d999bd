/// Controller → agent: run one module. The frame's stream id is the task id.
public struct RunTask: WireMessage, Hashable {
    public static let messageType = MessageType.runTask

    /// Module name: `command`, `shell`, `ping`, …
    public var module: String
    /// Module parameters, as Ansible passes them.
    public var arguments: WireValue
    /// Extra environment for the module's process (`environment:`).
    public var environment: [String: String]
    /// Seconds after which the task is killed; 0 for none.
    public var timeout: Double
    /// Bytes of stdout (and, separately, of stderr) sent back before the rest is
    /// cut off and the result says so; 0 for no cap.
    public var outputCap: UInt64

    public init(module: String, arguments: WireValue = .map([]), environment: [String: String] = [:],
                timeout: Double = 0, outputCap: UInt64 = 0) {
        self.module = module
        self.arguments = arguments
        self.environment = environment
        self.timeout = timeout
        self.outputCap = outputCap
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        module = try reader.readString()
        arguments = try WireValue(from: &reader)
        let count = try reader.readLength(limit: reader.remaining / 2)
        var environment: [String: String] = [:]
        for _ in 0 ..< count {
            let key = try reader.readString()
            environment[key] = try reader.readString()
        }
        self.environment = environment
        timeout = Double(bitPattern: try reader.readInteger(as: UInt64.self))
        guard timeout.isFinite, timeout >= 0 else { throw WireError(.malformedMessage("bad timeout")) }
        outputCap = try reader.readInteger()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeString(module)
        arguments.encode(into: &writer)
        writer.writeLength(environment.count)
        for key in environment.keys.sorted() {
            writer.writeString(key)
            writer.writeString(environment[key] ?? "")
        }
        writer.writeInteger(timeout.bitPattern)
        writer.writeInteger(outputCap)
    }
}

/// Which output of a task a `TaskOutput` carries.
public enum OutputStream: UInt8, Sendable, Hashable {
    case stdout = 1
    case stderr = 2
}

/// Agent → controller: the next piece of a task's output, in order.
public struct TaskOutput: WireMessage, Hashable {
    public static let messageType = MessageType.taskOutput
    public var stream: OutputStream
    public var data: [UInt8]

    public init(stream: OutputStream, data: [UInt8]) {
        self.stream = stream
        self.data = data
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let raw = try reader.readInteger(as: UInt8.self)
        guard let stream = OutputStream(rawValue: raw) else { throw WireError(.malformedMessage("bad output stream \(raw)")) }
        self.stream = stream
        data = try reader.readByteString()
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeInteger(stream.rawValue)
        writer.writeByteString(data)
    }
}

/// Agent → controller: a task is over. Its output came before, as `TaskOutput`.
public struct TaskResult: WireMessage, Hashable {
    public static let messageType = MessageType.taskResult

    /// Exit status of the module's process; minus the signal number when a
    /// signal ended it (as Ansible reports it); nil when it never ran.
    public var rc: Int32?
    /// Signal that ended the process, if any.
    public var signal: Int32?
    /// Wall-clock start and end, nanoseconds since the Unix epoch (agent's clock).
    public var start: Int64
    public var end: Int64
    public var changed: Bool
    public var failed: Bool
    /// Human-readable reason, for failures above all.
    public var message: String
    /// Bytes dropped by the output cap.
    public var stdoutDropped: UInt64
    public var stderrDropped: UInt64
    /// Bytes of each stream sent as `TaskOutput` before this result, so the
    /// receiver can tell it has all of them.
    public var stdoutBytes: UInt64
    public var stderrBytes: UInt64
    /// Module-specific result fields (`ping: pong`, …).
    public var data: WireValue

    public init(rc: Int32? = nil, signal: Int32? = nil, start: Int64 = 0, end: Int64 = 0, changed: Bool = false,
                failed: Bool = false, message: String = "", stdoutDropped: UInt64 = 0, stderrDropped: UInt64 = 0,
                stdoutBytes: UInt64 = 0, stderrBytes: UInt64 = 0, data: WireValue = .map([])) {
        self.rc = rc
        self.signal = signal
        self.start = start
        self.end = end
        self.changed = changed
        self.failed = failed
        self.message = message
        self.stdoutDropped = stdoutDropped
        self.stderrDropped = stderrDropped
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.data = data
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        rc = try reader.readBool() ? try reader.readInteger(as: Int32.self) : nil
        signal = try reader.readBool() ? try reader.readInteger(as: Int32.self) : nil
        start = try reader.readInteger()
        end = try reader.readInteger()
        changed = try reader.readBool()
        failed = try reader.readBool()
        message = try reader.readString()
        stdoutDropped = try reader.readInteger()
        stderrDropped = try reader.readInteger()
        stdoutBytes = try reader.readInteger()
        stderrBytes = try reader.readInteger()
        data = try WireValue(from: &reader)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.writeBool(rc != nil)
        if let rc { writer.writeInteger(rc) }
        writer.writeBool(signal != nil)
        if let signal { writer.writeInteger(signal) }
        writer.writeInteger(start)
        writer.writeInteger(end)
        writer.writeBool(changed)
        writer.writeBool(failed)
        writer.writeString(message)
        writer.writeInteger(stdoutDropped)
        writer.writeInteger(stderrDropped)
        writer.writeInteger(stdoutBytes)
        writer.writeInteger(stderrBytes)
        data.encode(into: &writer)
    }
}

/// Controller → agent: kill a running task (its whole process group).
public struct CancelTask: WireMessage, Hashable {
    public static let messageType = MessageType.cancelTask
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public init(from reader: inout ByteReader) throws(WireError) { reason = try reader.readString() }
    public func encode(into writer: inout ByteWriter) { writer.writeString(reason) }
}
