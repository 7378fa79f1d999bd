import CLZ4

/// LZ4 block compression of payloads in transit.
public enum LZ4 {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String { "LZ4 data is corrupt or larger than announced" }
    }

    /// Compresses `data`; nil when compression would not make it smaller, in
    /// which case the payload travels raw.
    public static func compress(_ data: [UInt8]) -> [UInt8]? {
        guard !data.isEmpty, data.count <= Int(LZ4_MAX_INPUT_SIZE) else { return nil }
        let bound = Int(LZ4_compressBound(Int32(data.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let written = data.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                src.withMemoryRebound(to: CChar.self) { s in
                    dst.withMemoryRebound(to: CChar.self) { d in
                        LZ4_compress_default(s.baseAddress, d.baseAddress, Int32(s.count), Int32(d.count))
                    }
                }
            }
        }
        guard written > 0, Int(written) < data.count else { return nil }
        output.removeSubrange(Int(written)...)
        return output
    }

    /// Decompresses a block whose original size is known (it travels with it).
    public static func decompress(_ data: [UInt8], originalSize: Int) throws -> [UInt8] {
        guard originalSize >= 0, originalSize <= Int(LZ4_MAX_INPUT_SIZE) else { throw Failure() }
        if originalSize == 0 {
            guard data.isEmpty else { throw Failure() }
            return []
        }
        var output = [UInt8](repeating: 0, count: originalSize)
        let produced = data.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                src.withMemoryRebound(to: CChar.self) { s in
                    dst.withMemoryRebound(to: CChar.self) { d in
                        LZ4_decompress_safe(s.baseAddress, d.baseAddress, Int32(s.count), Int32(d.count))
                    }
                }
            }
        }
        guard produced == Int32(originalSize) else { throw Failure() }
        return output
    }
}
