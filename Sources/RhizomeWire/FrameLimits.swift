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
    /// Messages one link may have half-received at once (each stream of each source
    /// and type is one). Empty frames with `more` set must not grow a table forever.
    public static let maxPartialMessages = 4096
    /// Bytes of all half-received messages of one link together.
    public static let maxPartialBytes = 8 * maxMessage
    /// Elements room is made for ahead of decoding a list: a peer's count is a claim, and
    /// a list of one-byte elements claiming 16 M of them must not cost gigabytes up front.
    public static let maxReservedElements = 1024
    /// Deepest nesting accepted in a `WireValue`.
    public static let maxValueDepth = 64
}
