import Foundation
import RhizomeMesh

/// Finds the agent executable that is sent to targets.
public enum AgentLocator {
    public struct NotFound: Error, CustomStringConvertible {
        public var searched: [String]
        public var description: String {
            "cannot find the rhizome-agent executable (looked at \(searched.joined(separator: ", "))). "
                + "Build it with `make build`, or point RHIZOME_AGENT at it."
        }
    }

    /// Where `make install` puts the agent, relative to the directory of the
    /// `rhizome` executable: `PREFIX/bin/rhizome` finds `PREFIX/libexec/rhizome/rhizome-agent`,
    /// whatever PREFIX is.
    public static let installedRelativePath = "../libexec/rhizome/rhizome-agent"

    /// `$RHIZOME_AGENT`, else `rhizome-agent` next to the running executable
    /// (a build tree's `bin/`), else the installed one (`installedRelativePath`).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              executablePaths: [String]? = nil) throws -> String {
        var searched: [String] = []
        if let explicit = environment["RHIZOME_AGENT"], !explicit.isEmpty {
            if FileManager.default.isExecutableFile(atPath: explicit) { return explicit }
            throw NotFound(searched: ["$RHIZOME_AGENT=\(explicit)"])
        }
        let directories = (executablePaths ?? runningExecutablePaths()).map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
        for relative in ["rhizome-agent", installedRelativePath] {
            for directory in directories {
                let candidate = directory.appendingPathComponent(relative).standardizedFileURL.path
                if searched.contains(candidate) { continue }
                searched.append(candidate)
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw NotFound(searched: searched)
    }

    /// The running executable, as the kernel knows it and as it was called
    /// (symbolic links resolved): either may be the one beside the agent.
    static func runningExecutablePaths() -> [String] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable.path
        return [selfPath, executable.path]
    }

    /// Reads the agent image, and `PATH.gz` beside it when `make build` left one
    /// (it is verified against the image before use).
    public static func loadImage(at path: String) throws -> AgentImage {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let gzipped = try? Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        return AgentImage(bytes: [UInt8](data), gzipped: gzipped.map { [UInt8]($0) })
    }
}
