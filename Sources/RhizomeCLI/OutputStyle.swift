import Foundation

/// Colours on a terminal, plain text elsewhere or under NO_COLOR.
struct OutputStyle {
    var colour: Bool

    static func detect() -> OutputStyle {
        let environment = ProcessInfo.processInfo.environment
        let wanted = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        return OutputStyle(colour: wanted)
    }

    func green(_ text: String) -> String { paint(text, "32") }
    func yellow(_ text: String) -> String { paint(text, "33") }
    func red(_ text: String) -> String { paint(text, "31") }

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[0;\(code)m\(text)\u{1B}[0m" : text
    }
}

/// Writes whole lines to stdout/stderr without interleaving.
enum Console {
    private static let lock = NSLock()

    static func out(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func err(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}

/// A failure to report as `Error: message` with exit status 1 (no usage text).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
