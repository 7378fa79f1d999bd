import CCrypto
import RhizomeIO

/// A SHA-256 digest: the name of every payload.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses 64 hex digits.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Digest.nibble(utf8[index]), let low = Digest.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    /// Lower-case hex, as `sha256sum` prints it.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { "sha256:" + hex }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// SHA-256 of a file's contents, read in pieces; nil if it cannot be read.
    public static func sha256(ofFile path: String) -> Digest? {
        let hasher = SHA256Stream()
        return FileDescriptor.forEachPiece(ofFile: path) { hasher.update($0) } ? hasher.finalize() : nil
    }

    /// SHA-256 of `data`.
    public static func sha256<Bytes: Collection>(_ data: Bytes) -> Digest where Bytes.Element == UInt8 {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }
}

/// Incremental SHA-256 over libcrypto's EVP interface.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("out of memory allocating a digest context") }
        self.context = context
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update<Bytes: Collection>(_ data: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = data.withContiguousStorageIfAvailable { buffer in
            _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
        }
        if done == nil {
            let copy = Array(data)
            copy.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
    }

    public consuming func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Digest(bytes: out)!
    }
}

/// HMAC-SHA1, which OpenSSH uses for hashed known_hosts names.
public enum HMACSHA1 {
    public static func authenticationCode(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 20
        _ = HMAC(EVP_sha1(), key, Int32(key.count), data, data.count, &out, &length)
        return Array(out.prefix(Int(length)))
    }
}

/// Incremental SHA-256 that can live in a class (the hasher itself is not copyable).
public final class SHA256Stream {
    private var hasher: SHA256Hasher? = SHA256Hasher()

    public init() {}

    public func update<Bytes: Collection>(_ data: Bytes) where Bytes.Element == UInt8 {
        hasher?.update(data)
    }

    /// The digest of everything fed so far; the stream is finished after this.
    public func finalize() -> Digest {
        let done = hasher.take()!.finalize()
        return done
    }
}
