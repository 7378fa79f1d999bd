import ArgumentParser

/// Limits on the seconds options take, checked before anything connects: a
/// value the agent or the SSH layer cannot represent must be refused here, not
/// discovered as a protocol error on every host.
enum DurationOption {
    /// The longest task timeout: 365 days. Far beyond any real task, and far
    /// below the point where nanoseconds stop fitting in 64 bits.
    static let maximumTaskTimeout: Double = 365 * 86_400
    /// The longest connect or SSH step timeout: 1 day. poll(2) and libssh2
    /// take milliseconds in 32 bits, which end at 24.8 days.
    static let maximumLinkTimeout: Double = 86_400

    /// Throws unless `value` is a finite number of seconds in range; `zero`
    /// says what 0 means, when it is allowed.
    static func check(_ value: Double, option: String, maximum: Double, zero: String? = nil) throws {
        let range = zero == nil ? "a positive number of seconds" : "0 (\(zero!)) or a positive number of seconds"
        guard value.isFinite else {
            throw ValidationError("\(option) must be \(range), at most \(describe(maximum)); got \(value)")
        }
        guard value > 0 || (value == 0 && zero != nil) else {
            throw ValidationError("\(option) must be \(range); got \(describe(value))")
        }
        guard value <= maximum else {
            throw ValidationError("\(option) must be at most \(describe(maximum)); got \(describe(value))")
        }
    }

    /// `31536000 (365 days)`, `86400 (1 day)`, `-1`.
    static func describe(_ seconds: Double) -> String {
        let text = seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int64(seconds)) : String(seconds)
        guard seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 else { return text }
        let days = Int64(seconds / 86_400)
        return "\(text) s (\(days) day\(days == 1 ? "" : "s"))"
    }
}
