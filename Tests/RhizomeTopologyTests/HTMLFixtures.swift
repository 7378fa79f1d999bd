import Foundation
import RhizomeInventory
@testable import RhizomeTopology

/// Inventories and a probe for the HTML page's tests.
extension Fixtures {
    /// Host and group names that would be markup, or end a script, if anything put them in the page unescaped.
    static let hostileNames = [
        #"<img src=x onerror="window.rhizomeInjected=1">"#,
        "</script><script>window.rhizomeInjected=1</script>",
        "<!--c",
        "line\u{2028}para\u{2029}end",
        "amp&lt;",
    ]
    static let hostileGroup = #""><svg onload=window.rhizomeInjected=1>"#

    /// An inventory file from its text, in a directory of its own.
    static func inventory(text: String, name: String) throws -> Inventory {
        let directory = NSTemporaryDirectory() + "rhizome-html-tests/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name + ".yml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try Inventory.load(sources: [path], sshConfig: "")
    }

    /// A bastion whose group and hosts have hostile names.
    static func hostile() throws -> Inventory {
        var text = "all:\n  children:\n    \(yaml(hostileGroup)):\n      hosts:\n"
        text += "        jump: {ansible_host: 192.0.2.1}\n"
        for name in hostileNames { text += "        \(yaml(name)): {ansible_host: 192.0.2.2, via: jump}\n" }
        return try inventory(text: text, name: "hostile")
    }

    /// Passwords in every place an inventory can hold one.
    static let secrets = ["hunter2", "swordfish", "correcthorse", "tr0ub4dor"]

    static func withSecrets() throws -> Inventory {
        try inventory(text: """
            all:
              vars:
                ansible_password: hunter2
              hosts:
                jump: {ansible_become_password: swordfish, ansible_ssh_pass: correcthorse}
                inner: {via: jump, ansible_become: true, ansible_become_pass: tr0ub4dor}
            """, name: "secrets")
    }

    /// A probe of the tree lab in which bastion3 refused its host key: u01–u04 behind it
    /// are unreachable, every other node came up.
    static func probe(for graph: TopologyGraph) -> [String: ProbeFigures] {
        var results: [String: ProbeFigures] = [:]
        for node in graph.nodes where node.id != 0 && graph.nodes[node.parent ?? 0].name != "bastion3" {
            if node.name == "bastion3" {
                results[node.name] = ProbeFigures(
                    state: .failed, handshakeMilliseconds: 4, cause: .hostKeyMismatch,
                    message: "bastion3 (198.18.2.4): the host key does not match known_hosts")
            } else {
                results[node.name] = ProbeFigures(
                    state: .up, handshakeMilliseconds: Double(3 + node.id % 4), authenticationMilliseconds: 2,
                    bootstrapMilliseconds: Double(250 + 10 * node.id), rttMilliseconds: 0.4 * Double(node.depth),
                    agentVersion: "0.1.0", system: "Linux", release: "6.1.0-28-amd64", machine: "x86_64",
                    hostname: node.name)
            }
        }
        return results
    }

    /// A YAML double-quoted scalar.
    private static func yaml(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
