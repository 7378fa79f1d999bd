import Foundation
import Testing
@testable import RhizomeInventory

@Suite struct InventoryLoadingTests {
    @Test func yamlGroupsChildrenAndVars() throws {
        let inventory = try Scratch().load("hosts.yml", """
            all:
              vars:
                ntp: pool.ntp.org
              hosts:
                bastion1:
                  ansible_host: 10.0.1.1
                  ansible_user: jump
              children:
                web:
                  hosts:
                    web[01:03].dc1:
                      via: bastion1
                  vars:
                    ansible_port: 2222
                    ansible_ssh_private_key_file: ~/.ssh/web
                    rhizome_known_hosts: /etc/rhizome/known_hosts
                db:
                  children:
                    web:
            """)
        #expect(inventory.hostNames == ["bastion1", "web01.dc1", "web02.dc1", "web03.dc1"])
        let web = try #require(inventory.host(named: "web02.dc1"))
        #expect(web.groups == ["all", "db", "web"])
        #expect(web.vars["ntp"] == .string("pool.ntp.org"))
        #expect(web.connection.address == "web02.dc1")
        #expect(web.connection.port == 2222)
        #expect(web.connection.identityFiles == ["~/.ssh/web"])
        #expect(web.connection.knownHostsFile == "/etc/rhizome/known_hosts")
        #expect(web.hops.map(\.name) == ["bastion1"])
        #expect(web.hops.first?.connection.address == "10.0.1.1")
        #expect(web.hops.first?.connection.user == "jump")
        let bastion = try #require(inventory.host(named: "bastion1"))
        #expect(bastion.hops.isEmpty)
        #expect(bastion.groups == ["all", "ungrouped"])
    }

    @Test func commaList() throws {
        let inventory = try Inventory.load(sources: ["h1,h2:2222,"], sshConfig: "")
        #expect(inventory.hostNames == ["h1", "h2"])
        #expect(inventory.host(named: "h2")?.connection.port == 2222)
        #expect(try inventory.select("all").map(\.name) == ["h1", "h2"])
    }

    @Test func basicPatterns() throws {
        let inventory = try Scratch().load("hosts.yml", """
            all:
              children:
                web:
                  hosts: {w1: , w2: , w3: }
                db:
                  hosts: {d1: , w2: }
            """)
        #expect(try inventory.select("all").map(\.name) == ["w1", "w2", "w3", "d1"])
        #expect(try inventory.select("web:&db").map(\.name) == ["w2"])
        #expect(try inventory.select("web:!db").map(\.name) == ["w1", "w3"])
        #expect(try inventory.select("db,w3").map(\.name) == ["d1", "w2", "w3"])
        #expect(try inventory.select("w*").map(\.name) == ["w1", "w2", "w3"])
        #expect(try inventory.select("web[1:2]").map(\.name) == ["w2", "w3"])
        #expect(try inventory.select("web", limit: "db").map(\.name) == ["w2"])
    }

    @Test func groupPriorityMustBeAnInteger() throws {
        let error = #expect(throws: InventoryError.self) {
            try Scratch().load("hosts.ini", "[g]\nh\n[g:vars]\nansible_group_priority=high\n")
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.line == 4)
    }
}
