/// The POSIX `sh` stage that installs and starts an agent on a target.
///
/// Protocol on the exec channel (stdout from the target, stdin to it):
///
/// 1. The stage finds a writable directory that allows execution
///    ($XDG_RUNTIME_DIR, /dev/shm, /tmp, $HOME, /var/tmp), then prints
///    `RHIZOME-STAGE-1 gzip=G sha256sum=S dir=D`. Anything printed before that
///    line (rc-file noise) is skipped by the parent.
/// 2. The parent answers with one line `MODE SIZE DIGEST` (MODE is `gz` or
///    `raw`) followed by exactly SIZE bytes of image.
/// 3. The stage writes the image to a temporary name, checks its SHA-256 when
///    `sha256sum` exists, renames it into place (writing over a running binary
///    fails with ETXTBSY, a rename does not) and execs it. The agent removes its
///    own file at once. Where the stage had no `sha256sum`, the agent hashes
///    itself first and reports that digest in `Hello`, so the image is checked
///    on every target.
/// 4. The agent prints `RHIZOME-AGENT-START <protocol version>` and speaks frames.
///
/// Failures print `RHIZOME-STAGE-ERROR <reason>` and exit non-zero.
public enum BootstrapScript {
    public static let stageMarker = "RHIZOME-STAGE-1 "
    public static let stageErrorMarker = "RHIZOME-STAGE-ERROR "
    public static let agentMarker = "RHIZOME-AGENT-START "

    /// The stage, as one line: csh-family login shells reject newlines inside
    /// quotes, so the script is a single line of `;`-joined commands.
    public static var stage: String { stage(cache: nil) }

    /// The stage. With a target cache, an agent already in the cache (and
    /// matching its digest) is started without any upload, and an uploaded one
    /// is kept there (see `TargetCache`).
    public static func stage(cache: TargetCacheSettings?) -> String {
        // The agent's own files are private; the login's umask is kept for
        // the files tasks create (the copy module reads RHIZOME_UMASK).
        var lines = ["RHIZOME_UMASK=$(umask); export RHIZOME_UMASK; umask 077"]
        let agentArguments: String
        if let cache {
            let directory = shellQuote(cache.directory)
            let digest = cache.agentDigest
            agentArguments = "--verified --cache-dir \"$C\" --cache-bytes \(cache.limit)"
            lines += [
                "C=\(directory); S=\(digest)",
                "if command -v sha256sum >/dev/null 2>&1 && [ -x \"$C/agent-$S\" ] "
                    + "&& [ \"$(sha256sum \"$C/agent-$S\" | cut -d ' ' -f 1)\" = \"$S\" ]; then touch \"$C/agent-$S\"; "
                    + "echo \"\(stageMarker)gzip=0 sha256sum=1 dir=$C cached=1\"; exec \"$C/agent-$S\" \(agentArguments); fi",
                "mkdir -p \"$C\" 2>/dev/null; chmod 700 \"$C\" 2>/dev/null",
                "set -- \"$C\"",
            ]
        } else {
            agentArguments = ""
            lines += ["set -- \"${XDG_RUNTIME_DIR:-}\" /dev/shm /tmp \"${HOME:-}\" /var/tmp"]
        }
        lines += [
            "d=''",
            "for c in \"$@\"; do "
                + "if [ -n \"$c\" ] && [ -d \"$c\" ] && [ -w \"$c\" ]; then "
                + "t=\"$c/.rhizome-probe-$$\"; "
                + "if echo 'exit 0' > \"$t\" 2>/dev/null && chmod 700 \"$t\" && \"$t\" 2>/dev/null; then rm -f \"$t\"; d=\"$c\"; break; fi; "
                + "rm -f \"$t\"; fi; done",
            "if [ -z \"$d\" ]; then echo '\(stageErrorMarker)no writable directory that allows execution (tried '\"$*\"')'; exit 97; fi",
            "g=0; command -v gzip >/dev/null 2>&1 && g=1",
            "s=0; command -v sha256sum >/dev/null 2>&1 && s=1",
            "command -v head >/dev/null 2>&1 || { echo '\(stageErrorMarker)head(1) is missing'; exit 97; }",
            "echo \"\(stageMarker)gzip=$g sha256sum=$s dir=$d\"",
            "read m n h || exit 98",
            "f=\"$d/.rhizome-agent-$$\"",
            // A link that drops mid-upload must not leave a partial image behind.
            "trap 'rm -f \"$f.tmp\"' 0 1 2 13 15",
            "if [ \"$m\" = gz ]; then head -c \"$n\" | gzip -dc > \"$f.tmp\"; else head -c \"$n\" > \"$f.tmp\"; fi "
                + "|| { rm -f \"$f.tmp\"; echo '\(stageErrorMarker)cannot write the agent to '\"$d\"; exit 97; }",
            "if [ \"$s\" = 1 ]; then x=$(sha256sum \"$f.tmp\" | cut -d ' ' -f 1); "
                + "if [ \"$x\" != \"$h\" ]; then rm -f \"$f.tmp\"; echo \"\(stageErrorMarker)digest mismatch: got $x\"; exit 96; fi; fi",
        ]
        if cache != nil {
            // Kept in the cache under its digest (a rename: safe when two runs race).
            lines.append("if [ \"$s\" = 1 ]; then chmod 700 \"$f.tmp\" && mv -f \"$f.tmp\" \"$C/agent-$h\" "
                             + "&& exec \"$C/agent-$h\" \(agentArguments); fi")
        }
        lines += [
            "chmod 700 \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" || { rm -f \"$f.tmp\"; echo '\(stageErrorMarker)cannot install the agent'; exit 97; }",
            // The agent hashes itself only where the stage could not.
            "if [ \"$s\" = 1 ]; then exec \"$f\" --stage-path \"$f\" --verified; else exec \"$f\" --stage-path \"$f\"; fi",
        ]
        return lines.joined(separator: "; ")
    }

    /// The exec request: the stage run by `/bin/sh`, whatever the login shell is.
    public static var remoteCommand: String { remoteCommand(cache: nil) }

    public static func remoteCommand(cache: TargetCacheSettings?) -> String {
        "exec /bin/sh -c " + shellQuote(stage(cache: cache))
    }

    /// Single-quotes `text` for POSIX shells (and csh, fish).
    public static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Where agents keep their binary and payloads between runs (`--target-cache`).
public struct TargetCacheSettings: Sendable, Hashable {
    public var directory: String
    /// Bytes the cache may hold; the oldest entries go first.
    public var limit: UInt64
    /// The digest of the agent image, in hex.
    public var agentDigest: String

    public init(directory: String, limit: UInt64, agentDigest: String) {
        self.directory = directory
        self.limit = limit
        self.agentDigest = agentDigest
    }
}

extension String {
    /// Foundation-free replacement.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        // Only ever called with a one-character target here.
        precondition(target.count == 1)
        var result = ""
        for character in self {
            if String(character) == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
