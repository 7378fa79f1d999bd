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

    /// `$RHIZOME_AGENT`, else `rhizome-agent` next to the running executable.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        var searched: [String] = []
        if let explicit = environment["RHIZOME_AGENT"], !explicit.isEmpty {
            if FileManager.default.isExecutableFile(atPath: explicit) { return explicit }
            throw NotFound(searched: ["$RHIZOME_AGENT=\(explicit)"])
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable.path
        for directory in [URL(fileURLWithPath: selfPath).deletingLastPathComponent(), executable.deletingLastPathComponent()] {
            let candidate = directory.appendingPathComponent("rhizome-agent").path
            if !searched.contains(candidate) { searched.append(candidate) }
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw NotFound(searched: searched)
    }

    /// Reads the agent image, and `PATH.gz` beside it when `make build` left one
    /// (it is verified against the image before use).
    public static func loadImage(at path: String) throws -> AgentImage {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let gzipped = try? Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        return AgentImage(bytes: [UInt8](data), gzipped: gzipped.map { [UInt8]($0) })
    }
}
