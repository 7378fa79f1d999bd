import Foundation
import RhizomeModules
import RhizomeWire

/// Turns a module name and its parameters into the `RunTask` agents run:
/// files the task needs become payloads (sent once per link, by digest), and
/// modules that are not built in are looked up in the module path.
public struct TaskPreparation: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Directories searched for external modules, in order.
    public var modulePaths: [String]

    public init(modulePaths: [String] = ["./library"]) {
        self.modulePaths = modulePaths
    }

    public func prepare(module: String, arguments: WireValue, environment: [String: String] = [:], timeout: Double = 0,
                        outputCap: UInt64 = 0, controller: Controller) throws -> RunTask {
        var pairs = arguments.mapValue ?? []
        // Ansible's collection names for its built-ins are the same modules here.
        var name = module
        for prefix in ["ansible.builtin.", "ansible.legacy."] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        let module = name
        if module == "copy" {
            pairs = try prepareCopy(pairs, controller: controller)
        } else if !BuiltinModules.names.contains(module) {
            guard let path = findModule(module) else {
                let searched = modulePaths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.joined(separator: ", ")
                throw Failure(description: "module '\(module)' is neither built in (\(BuiltinModules.names.sorted().joined(separator: ", "))) "
                                  + "nor found in the module path (\(searched))")
            }
            let (digest, size) = try controller.addPayload(file: path)
            pairs += [("_module_name", .string(module)), ("_module_digest", .string(digest.hex)), ("_module_size", .int(Int64(size)))]
            name = BuiltinModules.external
        }
        return RunTask(module: name, arguments: .map(pairs), environment: environment, timeout: timeout, outputCap: outputCap)
    }

    /// The file of module `name`: `NAME`, else `NAME.*`, in the first directory that has one.
    public func findModule(_ name: String) -> String? {
        guard !name.contains("/"), !name.isEmpty else { return nil }
        for directory in modulePaths {
            let exact = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: exact, isDirectory: &isDirectory), !isDirectory.boolValue { return exact }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            if let match = entries.sorted().first(where: { $0.hasPrefix(name + ".") }) {
                return (directory as NSString).appendingPathComponent(match)
            }
        }
        return nil
    }

    /// Refuses arguments a module cannot run with, before anything connects:
    /// these are mistakes in the command line, like a malformed `-a`.
    public static func check(module: String, arguments: WireValue) throws(Failure) {
        guard module == "copy" || module == "ansible.builtin.copy" || module == "ansible.legacy.copy" else { return }
        let pairs = arguments.mapValue ?? []
        guard pairs.contains(where: { $0.0 == "dest" }) else { throw Failure(description: "copy needs dest=") }
        switch (pairs.contains(where: { $0.0 == "src" }), pairs.contains(where: { $0.0 == "content" })) {
        case (false, false): throw Failure(description: "copy needs src= or content=")
        case (true, true): throw Failure(description: "copy takes src= or content=, not both")
        default: break
        }
    }

    private func prepareCopy(_ pairs: [(String, WireValue)], controller: Controller) throws -> [(String, WireValue)] {
        let source = pairs.last(where: { $0.0 == "src" })?.1.stringValue
        let content = pairs.last(where: { $0.0 == "content" })?.1
        try Self.check(module: "copy", arguments: .map(pairs))
        let digest: String
        let size: UInt64
        var basename = ""
        switch (source, content) {
        case (let source?, nil):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
                throw Failure(description: "copy: src file '\(source)' does not exist")
            }
            guard !isDirectory.boolValue else {
                throw Failure(description: "copy: src '\(source)' is a directory; copying directories is not supported yet")
            }
            let added = try controller.addPayload(file: source)
            (digest, size) = (added.digest.hex, added.size)
            basename = (source as NSString).lastPathComponent
        case (nil, let content?):
            let bytes: [UInt8]
            if case .bytes(let raw) = content { bytes = raw } else { bytes = Array((content.stringValue ?? content.jsonText).utf8) }
            let added = controller.addPayload(bytes: bytes)
            (digest, size) = (added.digest.hex, added.size)
        case (nil, nil):
            throw Failure(description: "copy needs src= or content=")
        default:
            throw Failure(description: "copy takes src= or content=, not both")
        }
        return pairs.filter { $0.0 != "src" && $0.0 != "content" }
            + [("_digest", .string(digest)), ("_size", .int(Int64(size))), ("_basename", .string(basename))]
    }
}
