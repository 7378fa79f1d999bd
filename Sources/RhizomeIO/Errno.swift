#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call's `errno`, with the call's name for context.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: CInt
    /// The call that failed, e.g. "write".
    public var call: String

    public init(_ rawValue: CInt, call: String) {
        self.rawValue = rawValue
        self.call = call
    }

    /// The current `errno`.
    public static func current(_ call: String) -> Errno { Errno(errno, call: call) }

    public var description: String {
        "\(call): \(String(cString: strerror(rawValue)))"
    }

    public static let wouldBlock = EAGAIN
}
