/// Text measured and cut the way a terminal shows it: by columns, not by bytes or characters.
/// Box-drawing characters take one column, CJK and emoji two, combining marks none, and
/// ANSI escape sequences none.
enum LiveText {
    /// Columns `text` takes on a terminal, escape sequences left out.
    static func width(_ text: String) -> Int {
        var columns = 0
        var escape = EscapeScanner()
        for character in text where !escape.consumes(character) {
            columns += width(of: character)
        }
        return columns
    }

    /// `text` cut to `columns`, with `…` in the last column when something was cut. Escape
    /// sequences are kept up to the cut, and colours are reset after it, so that nothing
    /// painted leaks into the next line.
    static func cut(_ text: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        guard width(text) > columns else { return text }
        var out = ""
        var used = 0
        var painted = false
        var escape = EscapeScanner()
        for character in text {
            if escape.consumes(character) {
                out.append(character)
                painted = true
                continue
            }
            let w = width(of: character)
            if used + w > columns - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…" + (painted ? "\u{1B}[0m" : "")
    }

    /// Text from elsewhere (host names, reasons, task names) made safe to show on one line:
    /// control characters, escape included, become spaces, so that no outside text can move
    /// the cursor or change colours.
    static func sanitise(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { scalars.append(isControl(scalar) ? " " : scalar) }
        return String(scalars)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Columns of one character (a grapheme cluster): its first scalar decides, and an emoji
    /// variation selector makes it wide.
    static func width(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if isControl(first) { return 0 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if first.properties.isEmojiPresentation || isWide(first.value) { return 2 }
        if first.properties.isEmoji, character.unicodeScalars.contains("\u{FE0F}") { return 2 }
        return 1
    }

    /// East Asian wide and fullwidth blocks (Unicode's EastAsianWidth W and F, by block).
    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
             0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF,
             0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}

/// Recognises ANSI CSI sequences (`ESC [ params final`) one character at a time.
private struct EscapeScanner {
    private enum State { case text, escape, parameters }
    private var state = State.text

    /// True when `character` belongs to an escape sequence (and so takes no column).
    mutating func consumes(_ character: Character) -> Bool {
        switch state {
        case .text:
            guard character == "\u{1B}" else { return false }
            state = .escape
        case .escape:
            state = character == "[" ? .parameters : .text
        case .parameters:
            // The final byte of a CSI sequence is in 0x40...0x7E.
            if let ascii = character.asciiValue, (0x40...0x7E).contains(ascii) { state = .text }
        }
        return true
    }
}
