/// Byte and frame counters of one link, as the run report shows them.
public struct LinkStatistics: Sendable, Hashable {
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var framesSent: UInt64 = 0
    public var framesReceived: UInt64 = 0
    /// Of those, bytes of frames carrying payload chunks (headers included).
    public var payloadBytesSent: UInt64 = 0
    public var payloadBytesReceived: UInt64 = 0
    /// Bytes of the bootstrap stage (script, agent image) sent before framing started.
    public var bootstrapBytesSent: UInt64 = 0

    public init() {}
}
