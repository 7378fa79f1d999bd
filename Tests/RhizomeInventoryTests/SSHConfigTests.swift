import Foundation
import Testing
@testable import RhizomeInventory

@Suite struct SSHConfigTests {
    static let text = """
        Host gw
            HostName 192.0.2.1
            User=ops
            Port 2200
            IdentityFile /k/gw
        Host *.corp !secret.corp
            ProxyJump gw
            ConnectTimeout = 4
        Host secret.corp
            ProxyCommand ssh -W %h:%p -l root gw
        Host alias
            HostName %h.example.net
        Match originalhost alias user deploy
            Port 2022
        Match host *.example.net
            UserKnownHostsFile /k/example_known_hosts /k/other
            StrictHostKeyChecking accept-new
        Match exec "true"
            User never
        Host *
            IdentityFile /k/default
            IdentityFile /k/gw
            User fallback
            HostKeyAlias Shared
            CheckHostIP yes
            Ciphers aes128-ctr
        """

    @Test func firstValueWinsAndIdentityFilesAccumulate() throws {
        let config = try SSHConfig.parse(Self.text, file: "cfg")
        let gw = config.settings(for: "gw", user: nil)
        #expect(gw.hostName == "192.0.2.1")
        #expect(gw.user == "ops")
        #expect(gw.port == 2200)
        #expect(gw.identityFiles == ["/k/gw", "/k/default"])
        #expect(gw.origins["Port"]?.line == 4)
        #expect(gw.unsupported.map(\.0) == ["ciphers"])
        // ssh lower-cases the alias, as it does host names.
        #expect(gw.hostKeyAlias == "shared")
        #expect(gw.checkHostIP == true)
    }

    @Test func negationAndProxyCommand() throws {
        let config = try SSHConfig.parse(Self.text, file: "cfg")
        #expect(config.settings(for: "app.corp", user: nil).proxyJump == "gw")
        #expect(config.settings(for: "app.corp", user: nil).connectTimeout == 4)
        let secret = config.settings(for: "secret.corp", user: nil)
        #expect(secret.proxyJump == nil)
        #expect(secret.proxyCommand == "ssh -W %h:%p -l root gw")
    }

    @Test func matchUsesHostNameAndUser() throws {
        let config = try SSHConfig.parse(Self.text, file: "cfg")
        let alias = config.settings(for: "alias", user: "deploy")
        #expect(alias.hostName == "alias.example.net")
        #expect(alias.port == 2022)
        #expect(alias.userKnownHostsFile == "/k/example_known_hosts")
        #expect(alias.strictHostKeyChecking == "accept-new")
        #expect(config.settings(for: "alias", user: "other").port == nil)
        // `Match exec` is not evaluated, and says so.
        #expect(config.settings(for: "x", user: nil).user == "fallback")
        #expect(config.warnings.contains { $0.message.contains("Match exec") })
    }

    @Test func inventoryBeatsSSHConfig() throws {
        let scratch = Scratch()
        let config = scratch.write("ssh_config", Self.text)
        let inventory = try Inventory.load(sources: [scratch.write("hosts.ini", """
            [corp]
            app.corp
            db.corp ansible_user=dba ansible_port=5522 ansible_ssh_private_key_file=/k/db
            secret.corp
            alias ansible_user=deploy
            """)], sshConfig: config)
        let app = try #require(inventory.host(named: "app.corp"))
        #expect(app.connection.user == "fallback")
        #expect(app.hops.map(\.name) == ["ops@gw:2200"])
        #expect(app.hops.first?.connection.address == "192.0.2.1")
        #expect(app.hops.first?.connection.identityFiles == ["/k/gw", "/k/default"])
        let db = try #require(inventory.host(named: "db.corp"))
        #expect(db.connection.user == "dba")
        #expect(db.connection.port == 5522)
        #expect(db.connection.identityFiles == ["/k/db", "/k/default", "/k/gw"])
        #expect(inventory.host(named: "secret.corp")?.hops.map(\.name) == ["root@gw:2200"])
        let alias = try #require(inventory.host(named: "alias"))
        #expect(alias.connection.address == "alias.example.net")
        #expect(alias.connection.port == 2022)
        #expect(inventory.warnings.contains { $0.contains("ciphers is not supported") })
        #expect(alias.connection.hostKeyAlias == "shared")
        #expect(alias.connection.checkHostIP)
        #expect(app.hops.first?.connection.hostKeyAlias == "shared")
    }

    @Test func includeAndErrors() throws {
        let scratch = Scratch()
        scratch.write("conf.d/a.conf", "Host a\n  HostName 10.0.0.1\n")
        let main = scratch.write("config", "Include conf.d/*.conf\nHost b\n  Port 2\n")
        let config = try #require(try SSHConfig.load(path: main))
        #expect(config.settings(for: "a", user: nil).hostName == "10.0.0.1")
        #expect(config.hasExplicitHost("b"))
        let loop = scratch.write("loop", "Include \(scratch.directory)/loop\n")
        #expect(throws: InventoryError.self) { try SSHConfig.load(path: loop) }
        #expect(throws: InventoryError.self) { try SSHConfig.parse("Host\n", file: "bad") }
        #expect(throws: InventoryError.self) { try SSHConfig.parse("HostName \"unterminated\n", file: "bad") }
        #expect(try SSHConfig.load(path: "none") == nil)
        #expect(throws: InventoryError.self) { try SSHConfig.load(path: "/nonexistent/ssh_config") }
    }
}
