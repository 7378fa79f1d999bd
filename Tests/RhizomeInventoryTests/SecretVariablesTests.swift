import RhizomeInventory
import Testing

@Suite struct SecretVariablesTests {
    @Test("connection passwords and names ending in a secret word are secrets", arguments: [
        "ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_become_password", "ansible_become_pass",
        "ansible_sudo_pass", "db_passwd", "Deploy_Token", "api_key", "github_api_key", "aws_secret_key", "vault_secret",
        "tls_private_key", "password", "key_passphrase",
    ])
    func secret(name: String) {
        #expect(SecretVariables.isSecret(name))
    }

    @Test("other names are not", arguments: [
        "ansible_user", "ansible_ssh_private_key_file", "bypass", "compass", "passenger", "tokens_dir", "secretary",
        "ansible_become", "ansible_become_user", "http_port", "password_file",
    ])
    func notSecret(name: String) {
        #expect(!SecretVariables.isSecret(name))
    }

    @Test("values are replaced whole, at every depth, and the rest is kept")
    func masking() {
        let value = InventoryValue.map([
            "ansible_password": .string("hunter2"),
            "app": .map(["db_password": .map(["__ansible_vault": .string("$ANSIBLE_VAULT;1.1")]), "port": .int(5432)]),
            "users": .list([.map(["name": .string("a"), "token": .int(42)])]),
            "ansible_user": .string("deploy"),
        ])
        #expect(value.maskingSecrets() == .map([
            "ansible_password": .string("********"),
            "app": .map(["db_password": .string("********"), "port": .int(5432)]),
            "users": .list([.map(["name": .string("a"), "token": .string("********")])]),
            "ansible_user": .string("deploy"),
        ]))
    }

    @Test("--list and --host mask only when asked: the library's default stays ansible-inventory's output")
    func listAndHost() throws {
        let inventory = try Inventory.load(sources: ["h1,"], extraVars: ["ansible_password=hunter2"], sshConfig: "")
        #expect(try inventory.hostJSON("h1").contains("hunter2"))
        #expect(try !inventory.hostJSON("h1", maskingSecrets: true).contains("hunter2"))
        #expect(try inventory.listJSON().contains("hunter2"))
        #expect(try !inventory.listJSON(maskingSecrets: true).contains("hunter2"))
        #expect(try inventory.listJSON(maskingSecrets: true).contains(#""ansible_password": "********""#))
    }
}
