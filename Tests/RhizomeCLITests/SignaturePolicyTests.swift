import Testing
@testable import RhizomeController

/// What the controller agrees to sign for a relay.
@Suite("signatures for relays")
struct SignaturePolicyTests {
    /// An RFC 4252 publickey authentication request as libssh2 asks to sign it.
    func request(user: String, service: String = "ssh-connection", method: String = "publickey", type: UInt8 = 50) -> [UInt8] {
        func string(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            let count = UInt32(bytes.count)
            return [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + bytes
        }
        return string("session-identifier") + [type] + string(user) + string(service) + string(method) + [1]
            + string("ssh-ed25519") + string("key blob")
    }

    @Test("a publickey login as a spawn's user is signed")
    func allowed() {
        #expect(ControllerCore.refusal(of: request(user: "root"), allowedUsers: ["root"]) == nil)
    }

    @Test("anything else is refused, with the reason", arguments: [
        ([UInt8]([1, 2, 3]), Set(["root"]), "not an SSH authentication request"),
        ([], Set<String>(), "the relay has no login in progress"),
    ])
    func refusedShapes(data: [UInt8], users: Set<String>, reason: String) {
        #expect(ControllerCore.refusal(of: data, allowedUsers: users) == reason)
    }

    @Test("another user, service, method or message type is refused")
    func refusedContents() {
        #expect(ControllerCore.refusal(of: request(user: "admin"), allowedUsers: ["root"])
            == "login as admin, which no spawn of this relay uses")
        #expect(ControllerCore.refusal(of: request(user: "root", service: "other"), allowedUsers: ["root"])
            == "not an SSH publickey authentication request")
        #expect(ControllerCore.refusal(of: request(user: "root", method: "password"), allowedUsers: ["root"])
            == "not an SSH publickey authentication request")
        #expect(ControllerCore.refusal(of: request(user: "root", type: 21), allowedUsers: ["root"])
            == "not an SSH authentication request")
    }
}
