#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RhizomeIO

/// A transport over a pair of file descriptors: an agent's stdin/stdout, or the
/// pipes of an agent started as a local subprocess.
public final class FileDescriptorTransport: Transport {
    private let input: FileDescriptor
    private let output: FileDescriptor
    private let diagnostics: FileDescriptor?
    private var loop: EventLoop?
    private weak var delegate: (any TransportDelegate)?
    private var inputToken: EventLoop.Token?
    private var outputToken: EventLoop.Token?
    private var diagnosticsToken: EventLoop.Token?
    private var queue = OutputQueue()
    private var reading = true
    private var closed = false

    /// - Parameter diagnostics: optional stderr of the peer to read and pass on.
    public init(input: FileDescriptor, output: FileDescriptor, diagnostics: FileDescriptor? = nil) {
        self.input = input
        self.output = output
        self.diagnostics = diagnostics
    }

    public var pendingBytes: Int { queue.count }

    public func start(on loop: EventLoop, delegate: any TransportDelegate) {
        self.loop = loop
        self.delegate = delegate
        try? input.setNonBlocking()
        try? output.setNonBlocking()
        inputToken = loop.register(input.rawValue, events: .readable) { [weak self] _ in self?.readInput() }
        if let diagnostics {
            try? diagnostics.setNonBlocking()
            diagnosticsToken = loop.register(diagnostics.rawValue, events: .readable) { [weak self] _ in self?.readDiagnostics() }
        }
    }

    public func send(_ bytes: [UInt8]) {
        guard !closed else { return }
        queue.append(bytes)
        flush()
    }

    public func setReading(_ reading: Bool) {
        self.reading = reading
        if let inputToken { loop?.setEvents(inputToken, reading ? .readable : []) }
    }

    public func close() {
        finish(nil)
    }

    private func readInput() {
        guard !closed, reading else { return }
        do {
            guard let bytes = try input.read(upTo: 256 << 10) else { return }
            if bytes.isEmpty { return finish(nil) }
            delegate?.transport(self, didRead: bytes)
        } catch {
            finish(error)
        }
    }

    private func readDiagnostics() {
        guard let diagnostics else { return }
        do {
            guard let bytes = try diagnostics.read(upTo: 64 << 10) else { return }
            if bytes.isEmpty {
                if let diagnosticsToken { loop?.deregister(diagnosticsToken) }
                diagnosticsToken = nil
                return
            }
            delegate?.transport(self, didReadDiagnostics: bytes)
        } catch {
            if let diagnosticsToken { loop?.deregister(diagnosticsToken) }
            diagnosticsToken = nil
        }
    }

    private func flush() {
        do {
            try queue.drain { try output.write($0) }
        } catch {
            return finish(error)
        }
        if queue.isEmpty {
            if let outputToken { loop?.deregister(outputToken) }
            outputToken = nil
            delegate?.transportDidDrain(self)
        } else if outputToken == nil {
            outputToken = loop?.register(output.rawValue, events: .writable) { [weak self] _ in self?.flush() }
        }
    }

    private func finish(_ error: (any Error)?) {
        guard !closed else { return }
        closed = true
        for token in [inputToken, outputToken, diagnosticsToken].compactMap({ $0 }) { loop?.deregister(token) }
        input.close()
        if output != input { output.close() }
        diagnostics?.close()
        delegate?.transport(self, didCloseWith: error)
    }
}
