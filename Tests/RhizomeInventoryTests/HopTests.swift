import Testing
@testable import RhizomeInventory

@Suite struct HopTests {
    @Test func sharedHopsShareANode() throws {
        let inventory = try Scratch().load("hosts.yml", """
            all:
              hosts:
                b1: {ansible_host: 10.0.0.1}
                b2: {via: b1}
                t1: {via: b2}
                t2: {via: b2}
                t3: {via: b1}
                t4: {ansible_ssh_common_args: "-J b1,b2"}
            """)
        #expect(inventory.host(named: "t1")?.hops.map(\.name) == ["b1", "b2"])
        #expect(inventory.host(named: "t4")?.hops.map(\.name) == ["b1", "b2"])
        let tree = inventory.hopTree(for: try inventory.select("t*"))
        #expect(tree.roots.map(\.name) == ["b1"])
        #expect(tree.roots.first?.children.map(\.name) == ["b2", "t3"])
        #expect(tree.roots.first?.children.first?.children.map(\.name) == ["t1", "t2", "t4"])
        #expect(tree.roots.first?.isTarget == false)
    }

    @Test func userAtInventoryHostIsThatHostAsAnotherUser() throws {
        let inventory = try Scratch().load("hosts.ini", """
            b1 ansible_host=10.0.0.1 ansible_port=2200 ansible_user=root
            t1 via=admin@b1
            """)
        let hop = try #require(inventory.host(named: "t1")?.hops.first)
        #expect(hop.name == "admin@b1:2200")
        #expect(hop.connection.address == "10.0.0.1")
        #expect(hop.connection.user == "admin")
    }

    @Test func errors() throws {
        let cycle = #expect(throws: InventoryError.self) {
            try Scratch().load("h.ini", "a via=a\n")
        }
        #expect(cycle?.code == .cycle)
        let conflict = #expect(throws: InventoryError.self) {
            try Scratch().load("h.ini", "b via=x.example.com\nt1 via=b\nt2 ansible_ssh_common_args='-J y.example.com,b'\n")
        }
        #expect(conflict?.code == .conflictingChains)
        let both = #expect(throws: InventoryError.self) {
            try Scratch().load("h.ini", "b\nt via=b mitogen_via=c.example.com\n")
        }
        #expect(both?.code == .conflictingChains)
        let viaAndJump = #expect(throws: InventoryError.self) {
            try Scratch().load("h.ini", "b\nt via=b ansible_ssh_common_args='-o ProxyJump=c.example.com'\n")
        }
        #expect(viaAndJump?.code == .conflictingChains)
        let undefined = #expect(throws: InventoryError.self) { try Scratch().load("h.ini", "t via=nope\n") }
        #expect(undefined?.code == .undefinedHop)
        #expect(undefined?.line == 1)
    }

    @Test func bareHopsFollowTheirOwnSSHConfig() throws {
        let scratch = Scratch()
        let config = scratch.write("cfg", "Host inner\n  ProxyJump outer\nHost outer\n  User o\n")
        let inventory = try Inventory.load(sources: [scratch.write("h.ini", "t via=inner\n")], sshConfig: config)
        #expect(inventory.host(named: "t")?.hops.map(\.name) == ["o@outer:22", "inner:22"])
        let loop = scratch.write("loop", "Host x\n  ProxyJump y\nHost y\n  ProxyJump x\n")
        let error = #expect(throws: InventoryError.self) {
            try Inventory.load(sources: [scratch.write("h2.ini", "t ansible_ssh_common_args='-J x'\n")], sshConfig: loop)
        }
        #expect(error?.code == .cycle)
    }
}
