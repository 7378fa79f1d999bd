import RhizomeController
import RhizomeWire

/// Formats ad-hoc results the way Ansible's minimal callback does:
/// `host | CHANGED | rc=0 >>` and output for command modules,
/// `host | SUCCESS => {json}` for the rest.
struct AdHocFormatter {
    var style: OutputStyle
    /// Modules whose result is shown as command output.
    static let commandModules: Set<String> = ["command", "shell", "raw", "script"]

    func format(_ outcome: TaskOutcome, module: String) -> String {
        let host = outcome.host
        switch outcome.status {
        case .unreachable:
            return paint(outcome.status, "\(host) | UNREACHABLE! => \(outcome.resultValue.prettyJSONText)")
        default:
            break
        }
        guard let result = outcome.result else {
            return paint(.failed, "\(host) | FAILED! => \(outcome.resultValue.prettyJSONText)")
        }
        if Self.commandModules.contains(module), result.rc != nil || !outcome.stdout.isEmpty {
            let label = outcome.status == .failed ? "FAILED" : outcome.status.rawValue
            var text = "\(host) | \(label) | rc=\(result.rc.map(String.init) ?? "?") >>\n"
            text += Self.stripTrailingNewlines(outcome.stdout)
            let stderr = Self.stripTrailingNewlines(outcome.stderr)
            if !stderr.isEmpty { text += (text.hasSuffix("\n") ? "" : "\n") + stderr }
            if result.failed && !result.message.isEmpty && result.message != "non-zero return code" {
                text += (text.hasSuffix("\n") ? "" : "\n") + result.message
            }
            text += Self.truncationNotice(result)
            return paint(outcome.status, text)
        }
        let label = outcome.status == .failed ? "FAILED!" : outcome.status.rawValue
        var value = outcome.resultValue
        if !outcome.stdout.isEmpty || !outcome.stderr.isEmpty, case .map(var pairs) = value {
            pairs.append(("stdout", .string(Self.stripTrailingNewlines(outcome.stdout))))
            pairs.append(("stderr", .string(Self.stripTrailingNewlines(outcome.stderr))))
            value = .map(pairs)
        }
        return paint(outcome.status, "\(host) | \(label) => \(value.prettyJSONText)" + Self.truncationNotice(result))
    }

    private func paint(_ status: TaskOutcome.Status, _ text: String) -> String {
        switch status {
        case .ok: return style.green(text)
        case .changed: return style.yellow(text)
        case .failed, .unreachable: return style.red(text)
        }
    }

    static func stripTrailingNewlines(_ bytes: [UInt8]) -> String {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    static func truncationNotice(_ result: TaskResult) -> String {
        var notes: [String] = []
        if result.stdoutDropped > 0 { notes.append("stdout: \(result.stdoutDropped) bytes dropped") }
        if result.stderrDropped > 0 { notes.append("stderr: \(result.stderrDropped) bytes dropped") }
        guard !notes.isEmpty else { return "" }
        return "\n[output cut at the --output-cap limit; \(notes.joined(separator: ", "))]"
    }
}
