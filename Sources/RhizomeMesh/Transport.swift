import RhizomeIO

/// Receives what a transport reads. Called on the event loop thread.
public protocol TransportDelegate: AnyObject {
    func transport(_ transport: any Transport, didRead bytes: [UInt8])
    /// Diagnostic output of the peer process (an agent's stderr), if the transport carries one.
    func transport(_ transport: any Transport, didReadDiagnostics bytes: [UInt8])
    /// Everything queued was written.
    func transportDidDrain(_ transport: any Transport)
    /// The transport is closed; `error` is nil for a clean end of stream.
    func transport(_ transport: any Transport, didCloseWith error: (any Error)?)
}

/// A byte pipe to a neighbouring node, driven by an `EventLoop`.
/// All methods are called on the loop thread.
public protocol Transport: AnyObject {
    /// Registers with the loop and starts reading.
    func start(on loop: EventLoop, delegate: any TransportDelegate)
    /// Queues bytes for writing.
    func send(_ bytes: [UInt8])
    /// Bytes queued but not yet written.
    var pendingBytes: Int { get }
    /// Closes both directions; the delegate hears `didClose` once.
    func close()
    /// Stops or resumes reading (back-pressure).
    func setReading(_ reading: Bool)
}

/// Queued output, written front to back.
struct OutputQueue {
    private var chunks: [[UInt8]] = []
    private var headOffset = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        chunks.append(bytes)
        count += bytes.count
    }

    /// Offers the head to `write`, which returns how much it took; repeats
    /// until empty or until `write` takes nothing.
    mutating func drain(_ write: (ArraySlice<UInt8>) throws -> Int) rethrows {
        while let head = chunks.first {
            let n = try write(head[headOffset...])
            if n <= 0 { return }
            headOffset += n
            count -= n
            if headOffset == head.count {
                chunks.removeFirst()
                headOffset = 0
            }
        }
    }
}
