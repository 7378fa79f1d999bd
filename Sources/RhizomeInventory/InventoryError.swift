/// A problem found while loading an inventory or selecting hosts. Loading never
/// returns a partial inventory: the first error ends it.
public struct InventoryError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem this is; extensible, so callers should not switch exhaustively.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A file that is not valid YAML, INI, JSON or ssh_config.
        public static let syntax = Code(rawValue: "syntax")
        /// Well-formed input with the wrong shape or a value of the wrong type.
        public static let invalidValue = Code(rawValue: "invalid-value")
        /// A key that Rhizome owns (`rhizome_*`) that it does not know.
        public static let unknownKey = Code(rawValue: "unknown-key")
        /// A host range such as `web[10:1]`.
        public static let badRange = Code(rawValue: "bad-range")
        /// A hop that names neither an inventory host nor `user@host:port`.
        public static let undefinedHop = Code(rawValue: "undefined-hop")
        /// Hops that lead back to themselves.
        public static let cycle = Code(rawValue: "cycle")
        /// A host reached through two different chains of hops.
        public static let conflictingChains = Code(rawValue: "conflicting-chains")
        /// A host pattern that cannot be evaluated.
        public static let pattern = Code(rawValue: "pattern")
        /// A file or directory that cannot be read.
        public static let io = Code(rawValue: "io")
        /// Any other problem.
        public static let other = Code(rawValue: "other")
    }

    /// What went wrong.
    public var message: String
    /// Where: the file (or a source such as `<extra vars #1>`), 1-based line and column.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// The kind of problem.
    public var code: Code
    /// The offending text, when there is one.
    public var snippet: String?

    public init(_ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.init(.other, message, file: file, line: line, column: column)
    }

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil,
                snippet: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.snippet = snippet
    }

    init(_ code: Code, _ message: String, at location: SourceLocation?, snippet: String? = nil) {
        self.init(code, message, file: location?.file, line: location?.line, column: location?.column,
                  snippet: snippet)
    }

    public var description: String {
        var location = ""
        if let file {
            location = file
            if let line {
                location += ":\(line)"
                if let column { location += ":\(column)" }
            }
            location += ": "
        }
        var text = location + message
        if let snippet, !snippet.isEmpty, !message.contains(snippet) {
            text += ": \(snippet)"
        }
        return text
    }
}

/// Where something was written: a file, a 1-based line and a 1-based column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path as it was given.
    public var file: String
    /// 1-based line and column.
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
