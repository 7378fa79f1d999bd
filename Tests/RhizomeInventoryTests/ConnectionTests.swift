import Testing
@testable import RhizomeInventory

@Suite struct ConnectionTests {
    @Test func aliasesAndKinds() throws {
        let inventory = try Scratch().load("hosts.ini", """
            a ansible_ssh_host=10.0.0.1 ansible_ssh_port=2200 ansible_ssh_user=u ansible_ssh_pass=p
            b ansible_connection=smart ansible_host_key_checking=False
            c ansible_connection=docker
            d ansible_become=yes ansible_become_user=root ansible_become_method=su ansible_become_pass=x
            e rhizome_host_key_checking=accept-new rhizome_connect_timeout=2.5 ansible_ssh_timeout=9
            f ansible_host="{{ inventory_hostname }}.example.com"
            """)
        let a = try #require(inventory.host(named: "a")?.connection)
        #expect(a.address == "10.0.0.1" && a.port == 2200 && a.user == "u" && a.password == "p")
        #expect(inventory.host(named: "b")?.connection.hostKeyChecking == .off)
        #expect(inventory.host(named: "c")?.connection.kind == .ssh)
        #expect(inventory.warnings.contains { $0.contains("ansible_connection=docker is not supported") })
        let d = try #require(inventory.host(named: "d")?.connection)
        #expect(d.become && d.becomeUser == "root" && d.becomeMethod == "su" && d.becomePassword == "x")
        let e = try #require(inventory.host(named: "e")?.connection)
        #expect(e.hostKeyChecking == .acceptNew && e.connectTimeout == 2.5)
        #expect(inventory.warnings.contains { $0.contains("'f'") && $0.contains("Jinja template") })
    }

    @Test func treeNeverShowsSecrets() throws {
        let inventory = try Scratch().load("hosts.ini", """
            a ansible_password=hunter2 ansible_become=true ansible_become_password=swordfish
            """)
        let tree = inventory.hopTree(for: try inventory.select("all")).render()
        #expect(!tree.contains("hunter2") && !tree.contains("swordfish"))
        #expect(tree.contains("password=(set)"))
    }

    @Test(arguments: [
        ("h ansible_port=http", "ansible_port"),
        ("h rhizome_host_key_checking=maybe", "rhizome_host_key_checking"),
        ("h rhizome_connect_timeout=-1", "rhizome_connect_timeout"),
        ("h ansible_become=perhaps", "ansible_become"),
        ("h ansible_host=[1,2]", "ansible_host"),
        ("h rhizome_typo=1", "rhizome_typo"),
    ])
    func invalidValuesAreErrors(_ line: String, _ key: String) throws {
        let error = #expect(throws: InventoryError.self) { try Scratch().load("hosts.ini", line + "\n") }
        #expect(error?.line == 1)
        #expect(error?.description.contains(key) == true, "\(String(describing: error))")
    }

    @Test func sshArgumentsWarnings() throws {
        let inventory = try Scratch().load("hosts.ini", """
            [all:vars]
            ansible_ssh_common_args='-o ServerAliveInterval=30 -A -o ControlPersist=60s'
            [web]
            w[1:3]
            """)
        // One line for the group variable, naming the hosts it applies to.
        let forwarded = inventory.warnings.filter { $0.contains("-A") }
        #expect(forwarded.count == 1)
        #expect(forwarded.first?.contains("hosts 'w1', 'w2', 'w3'") == true)
        #expect(inventory.warnings.contains { $0.contains("ServerAliveInterval") } == false)
    }

    @Test func hostKeyAliasAndCheckHostIPFromSSHArguments() throws {
        let inventory = try Scratch().load("hosts.ini", """
            a ansible_host=db.inner ansible_ssh_common_args='-o HostKeyAlias=DB-Primary -o CheckHostIP=yes'
            b ansible_ssh_common_args='-o CheckHostIP=maybe'
            c
            """)
        let a = try #require(inventory.host(named: "a")).connection
        #expect(a.address == "db.inner")
        #expect(a.hostKeyAlias == "db-primary")
        #expect(a.checkHostIP)
        // OpenSSH's default is CheckHostIP no.
        #expect(try #require(inventory.host(named: "c")).connection.checkHostIP == false)
        #expect(try #require(inventory.host(named: "c")).connection.hostKeyAlias == nil)
        #expect(inventory.warnings.contains { $0.contains("CheckHostIP=maybe is not yes or no") })
    }
}
