/// Cuts a byte stream into frames.
///
/// A pure state machine: feed it bytes with `append(_:)` in whatever pieces they
/// arrive, then call `nextFrame()` until it returns nil. It validates each header
/// as soon as the header is complete, so an oversized length is rejected before
/// any of its payload is buffered. Once it has thrown, the stream is unusable and
/// every later call throws the same error.
public struct FrameDecoder: Sendable {
    enum State: Sendable {
        case awaitingHeader
        case awaitingPayload(FrameHeader)
        case failed(WireError)
    }

    private var state: State = .awaitingHeader
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init() {}

    /// Bytes received but not yet returned as part of a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete frame, or nil when more bytes are needed.
    public mutating func nextFrame() throws(WireError) -> Frame? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .awaitingHeader:
                guard bufferedByteCount >= FrameLimits.headerSize else { return nil }
                do {
                    let header = try parseHeader()
                    readIndex += FrameLimits.headerSize
                    state = .awaitingPayload(header)
                } catch {
                    state = .failed(error)
                    throw error
                }
            case .awaitingPayload(let header):
                let length = Int(header.length)
                guard bufferedByteCount >= length else { return nil }
                let payload = Array(buffer[readIndex ..< readIndex + length])
                readIndex += length
                state = .awaitingHeader
                return Frame(header: header, payload: payload)
            }
        }
    }

    /// Call at end of stream: throws if the stream stopped inside a frame.
    public func finish() throws(WireError) {
        switch state {
        case .failed(let error):
            throw error
        case .awaitingHeader where bufferedByteCount == 0:
            return
        case .awaitingHeader:
            throw WireError(.truncatedFrame(buffered: bufferedByteCount))
        case .awaitingPayload:
            throw WireError(.truncatedFrame(buffered: FrameLimits.headerSize + bufferedByteCount))
        }
    }

    private func parseHeader() throws(WireError) -> FrameHeader {
        var reader = ByteReader(buffer[readIndex ..< readIndex + FrameLimits.headerSize])
        // The reader cannot run short here: the header's size was checked.
        let magic = (try? reader.readInteger(as: UInt16.self)) ?? 0
        guard magic == WireProtocol.magic else { throw WireError(.badMagic(magic)) }
        let version = (try? reader.readInteger(as: UInt8.self)) ?? 0
        guard version == WireProtocol.version else { throw WireError(.unsupportedVersion(version)) }
        let type = (try? reader.readInteger(as: UInt8.self)) ?? 0
        let flagBits = (try? reader.readInteger(as: UInt8.self)) ?? 0
        let reserved = (try? reader.readInteger(as: UInt8.self)) ?? 0
        let flags = FrameFlags(rawValue: flagBits)
        guard flags.subtracting(.known).isEmpty, reserved == 0 else {
            throw WireError(.unknownFlags(flagBits & ~FrameFlags.known.rawValue | reserved))
        }
        let length = (try? reader.readInteger(as: UInt32.self)) ?? 0
        guard length <= FrameLimits.maxFramePayload else { throw WireError(.oversizedFrame(length)) }
        let destination = (try? reader.readInteger(as: UInt32.self)) ?? 0
        let source = (try? reader.readInteger(as: UInt32.self)) ?? 0
        let stream = (try? reader.readInteger(as: UInt32.self)) ?? 0
        return FrameHeader(type: type, flags: flags, length: length,
                           destination: NodeID(destination), source: NodeID(source), stream: stream)
    }
}
