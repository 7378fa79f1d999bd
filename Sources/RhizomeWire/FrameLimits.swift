/// Hard limits of the wire format. A peer that exceeds one is broken or hostile,
/// and the link is closed.
public enum FrameLimits {
    /// Bytes in a frame header.
    public static let headerSize = 22
    /// Largest payload a single frame may carry. The decoder rejects larger lengths
    /// before buffering anything.
    public static let maxFramePayload = 1 << 20
    /// Payload size the encoder cuts messages into. Small enough that a control
    /// message never waits long behind a bulk transfer on the same link.
    public static let chunkPayload = 64 << 10
    /// Largest message reassembled from chunks. Bulk data (files, payloads, output)
    /// travels as many messages, never as one.
    public static let maxMessage = 16 << 20
    /// Deepest nesting accepted in a `WireValue`.
    public static let maxValueDepth = 64
}
