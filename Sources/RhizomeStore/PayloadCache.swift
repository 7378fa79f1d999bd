/// A memory cache of payloads by digest, bounded in bytes, evicting the least
/// recently used entry first. Not thread-safe: one node's loop owns it.
public struct PayloadCache<Value> {
    private struct Entry {
        var value: Value
        var size: Int
        var lastUse: UInt64
    }

    /// Upper bound of the bytes held.
    public let capacity: Int
    public private(set) var size = 0
    private var entries: [Digest: Entry] = [:]
    private var clock: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    public var count: Int { entries.count }

    /// The value, marked as just used.
    public mutating func value(for digest: Digest) -> Value? {
        guard entries[digest] != nil else { return nil }
        clock += 1
        entries[digest]!.lastUse = clock
        return entries[digest]!.value
    }

    public func contains(_ digest: Digest) -> Bool { entries[digest] != nil }

    /// Whether an entry of `size` bytes can be held at all.
    public func admits(size: Int) -> Bool { size <= capacity }

    /// Stores a value of `size` bytes, evicting old entries as needed. A value
    /// larger than the whole capacity is not stored.
    public mutating func insert(_ value: Value, size: Int, for digest: Digest) {
        guard admits(size: size) else { return }
        if let old = entries.removeValue(forKey: digest) { self.size -= old.size }
        while self.size + size > capacity, let victim = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[victim.key] = nil
            self.size -= victim.value.size
        }
        clock += 1
        entries[digest] = Entry(value: value, size: size, lastUse: clock)
        self.size += size
    }
}
