/// Everything that can be wrong with bytes received from a peer.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The first two bytes of a frame are not "RZ".
        case badMagic(UInt16)
        /// The peer speaks another protocol version.
        case unsupportedVersion(UInt8)
        /// A frame announces a payload larger than `FrameLimits.maxFramePayload`.
        case oversizedFrame(UInt32)
        /// A reassembled message would exceed `FrameLimits.maxMessage`.
        case oversizedMessage(Int)
        /// A link's half-received messages would exceed `FrameLimits.maxPartialMessages`
        /// in number or `FrameLimits.maxPartialBytes` in bytes.
        case tooManyPartialMessages(count: Int, bytes: Int)
        /// The stream ended in the middle of a frame.
        case truncatedFrame(buffered: Int)
        /// Flags or reserved bits that this version does not define are set.
        case unknownFlags(UInt8)
        /// A message body does not decode as its type says.
        case malformedMessage(String)
        /// A frame's message type is not known.
        case unknownMessageType(UInt8)
    }

    public var code: Code

    public init(_ code: Code) { self.code = code }

    public var description: String {
        switch code {
        case .badMagic(let magic):
            return "bad frame magic 0x\(String(magic, radix: 16)) (expected 0x525a, \"RZ\")"
        case .unsupportedVersion(let version):
            return "peer speaks wire protocol version \(version), this build speaks \(WireProtocol.version)"
        case .oversizedFrame(let length):
            return "frame payload of \(length) bytes exceeds the limit of \(FrameLimits.maxFramePayload)"
        case .oversizedMessage(let length):
            return "message of \(length) bytes exceeds the limit of \(FrameLimits.maxMessage)"
        case .tooManyPartialMessages(let count, let bytes):
            return "\(count) half-received messages of \(bytes) bytes exceed the limits of "
                + "\(FrameLimits.maxPartialMessages) messages and \(FrameLimits.maxPartialBytes) bytes"
        case .truncatedFrame(let buffered):
            return "stream ended inside a frame (\(buffered) bytes buffered)"
        case .unknownFlags(let flags):
            return "frame has undefined flag bits set (0x\(String(flags, radix: 16)))"
        case .malformedMessage(let reason):
            return "malformed message: \(reason)"
        case .unknownMessageType(let type):
            return "unknown message type \(type)"
        }
    }
}

/// Protocol-wide constants.
public enum WireProtocol {
    /// Version carried in every frame header. Bumped on any incompatible change.
    public static let version: UInt8 = 1
    /// "RZ"
    public static let magic: UInt16 = 0x525A
}
