import RhizomeWire
import Testing

/// Field rules of the mesh messages (types 20–24) beyond what the round-trip
/// tests of every sample cover.
@Suite("Mesh messages")
struct MeshMessageTests {
    static let spawn = SpawnChild(node: NodeID(12), name: "db1", address: "10.0.0.12", port: 22, user: "deploy",
                                  knownHostsLines: [], knownHostsSource: "", hostKeyPolicy: 0, publicKeys: [[1, 2]],
                                  publicKeyLabels: ["k"], connectTimeout: 10, operationTimeout: 30,
                                  keepaliveInterval: 15)

    static let badDurations = [Double.nan, -Double.nan, .signalingNaN, .infinity, -.infinity, -1,
                               -Double.leastNonzeroMagnitude, -Double.greatestFiniteMagnitude]

    // MARK: SpawnChild

    @Test("SpawnChild accepts host key policies 0, 1 and 2", arguments: [0, 1, 2] as [UInt8])
    func goodPolicy(policy: UInt8) throws {
        var spawn = Self.spawn
        spawn.hostKeyPolicy = policy
        #expect(try SpawnChild(body: spawn.encodedBody) == spawn)
    }

    @Test("SpawnChild rejects a host key policy over 2", arguments: [3, 4, 0x80, 0xFF] as [UInt8])
    func badPolicy(policy: UInt8) {
        var spawn = Self.spawn
        spawn.hostKeyPolicy = policy
        let body = spawn.encodedBody
        #expect(caught { () throws(WireError) in try SpawnChild(body: body) }
            == WireError(.malformedMessage("bad host key policy \(policy)")))
    }

    @Test("SpawnChild rejects timeouts that are not finite non-negative numbers",
          arguments: [\SpawnChild.connectTimeout, \SpawnChild.operationTimeout], badDurations)
    func badTimeout(field: WritableKeyPath<SpawnChild, Double> & Sendable, seconds: Double) {
        var spawn = Self.spawn
        spawn[keyPath: field] = seconds
        let body = spawn.encodedBody
        #expect(caught { () throws(WireError) in try SpawnChild(body: body) }
            == WireError(.malformedMessage("bad duration")))
    }

    @Test("SpawnChild keeps an absent password apart from an empty one")
    func password() throws {
        var spawn = Self.spawn
        spawn.password = nil
        let absent = spawn.encodedBody
        spawn.password = ""
        let empty = spawn.encodedBody
        #expect(absent != empty)
        #expect(try SpawnChild(body: absent).password == nil)
        #expect(try SpawnChild(body: empty).password == "")
        // Presence flag, then the string; everything after it is the same.
        #expect(empty.count == absent.count + 1)
    }

    @Test("SpawnChild rejects a password presence flag other than 0 or 1")
    func badPasswordFlag() throws {
        var spawn = Self.spawn
        spawn.password = nil
        var body = spawn.encodedBody
        // The flag comes right before the two timeouts, the interval, the cache size,
        // the (empty) list of line numbers and the alias and CheckHostIP flags.
        let flag = body.count - (8 + 8 + 4 + 8 + 1 + 1 + 1) - 1
        #expect(body[flag] == 0)
        body[flag] = 2
        #expect(caught { () throws(WireError) in try SpawnChild(body: body) }
            == WireError(.malformedMessage("bad boolean 2")))
    }

    @Test("SpawnChild fields in order")
    func spawnLayout() {
        let spawn = SpawnChild(node: NodeID(0x0102_0304), name: "n", address: "a", port: 0x1617, user: "u",
                               knownHostsLines: ["h"], knownHostsSource: "s", hostKeyPolicy: 1, publicKeys: [[0xAA]],
                               publicKeyLabels: ["l"], password: "p", connectTimeout: 1.5, operationTimeout: 2,
                               keepaliveInterval: 0x2122_2324, payloadCacheBytes: 0x3132_3334_3536_3738,
                               knownHostsLineNumbers: [0x81], hostKeyAlias: "k", checkHostIP: true)
        #expect(spawn.encodedBody == hex("""
            01020304  01 6e  01 61  1617  01 75  01 01 68  01 73  01  01 01 aa  01 01 6c  01 01 70
            3ff8000000000000  4000000000000000  21222324  3132333435363738  01 81 01  01 01 6b  01
            """))
    }

    @Test("SpawnChild needs one known_hosts line number per line")
    func lineNumbersPerLine() throws {
        var spawn = Self.spawn
        spawn.knownHostsLines = ["a", "b"]
        spawn.knownHostsLineNumbers = [3]
        #expect(caught { () throws(WireError) in try SpawnChild(body: spawn.encodedBody) }
            == WireError(.malformedMessage("1 known_hosts line numbers for 2 lines")))
        spawn.knownHostsLineNumbers = [3, 9]
        #expect(try SpawnChild(body: spawn.encodedBody) == spawn)
    }

    @Test("SpawnChild rejects key and line counts the body cannot hold")
    func hugeCounts() {
        let prefix = written { w in
            w.writeInteger(UInt32(12))
            w.writeString("db1")
            w.writeString("10.0.0.12")
            w.writeInteger(UInt16(22))
            w.writeString("deploy")
        }
        // knownHostsLines: each line takes at least one byte. The bound counts
        // the bytes left at the count, the count's own byte included.
        let lines = prefix + written { $0.writeVarint(4) } + [0, 0]
        #expect(caught { () throws(WireError) in try SpawnChild(body: lines) }
            == WireError(.malformedMessage("length 4 over limit 3")))
        // publicKeys: each key takes at least one byte.
        let keys = prefix + written { w in
            w.writeStringList([])
            w.writeString("")
            w.writeInteger(UInt8(0))
            w.writeVarint(1 << 40)
        }
        #expect(isMalformed(caught { () throws(WireError) in try SpawnChild(body: keys) }))
    }

    // MARK: ChildUp

    @Test("ChildUp rejects timings that are not finite non-negative numbers",
          arguments: [\ChildUp.handshake, \ChildUp.authentication, \ChildUp.bootstrap], badDurations)
    func badTimings(field: WritableKeyPath<ChildUp, Double> & Sendable, seconds: Double) {
        var up = ChildUp(node: NodeID(12), hello: sampleHello, handshake: 1, authentication: 1, bootstrap: 1)
        up[keyPath: field] = seconds
        let body = up.encodedBody
        #expect(caught { () throws(WireError) in try ChildUp(body: body) }
            == WireError(.malformedMessage("bad duration")))
    }

    @Test("ChildUp carries the child's Hello as it is encoded on its own")
    func childUpLayout() {
        let up = ChildUp(node: NodeID(12), hello: sampleHello, handshake: 0.5, authentication: 0, bootstrap: 2,
                         acceptedHostKeyLine: "k", warning: "", bootstrapBytesSent: 5)
        #expect(up.encodedBody == hex("0000000c") + sampleHello.encodedBody + hex("""
            3fe0000000000000 0000000000000000 4000000000000000  01 6b  00  0000000000000005
            """))
    }

    // MARK: ChildDown

    @Test("ChildDown fields in order")
    func childDownLayout() {
        let down = ChildDown(nodes: [NodeID(12), NodeID(0x0A0B_0C0D)], phase: "link", reason: "x", cause: "timeout")
        #expect(down.encodedBody == hex("02 0000000c 0a0b0c0d  04 6c696e6b  01 78  07 74696d656f7574"))
    }

    @Test("ChildDown rejects a node count over a quarter of the bytes left")
    func childDownCount() throws {
        // Two ids and three empty strings: 12 bytes after the count, room for 3 ids by the limit.
        let ids = hex("0000000c 0000000d 00 00 00")
        #expect(try ChildDown(body: [2] + ids) == ChildDown(nodes: [NodeID(12), NodeID(13)], phase: "", reason: ""))
        #expect(caught { () throws(WireError) in try ChildDown(body: [4] + ids) }
            == WireError(.malformedMessage("length 4 over limit 3")))
        // A 10-byte count: 22 bytes left at the count.
        let huge = written { $0.writeVarint(UInt64.max) } + ids
        #expect(caught { () throws(WireError) in try ChildDown(body: huge) }
            == WireError(.malformedMessage("length \(UInt64.max) over limit 5")))
    }

    // MARK: SignRequest and SignResponse

    @Test("SignRequest and SignResponse fields in order")
    func signLayout() {
        #expect(SignRequest(publicKey: [0xAA, 0xBB], data: [0xCC]).encodedBody == hex("02 aabb 01 cc"))
        #expect(SignResponse(signature: [0xDD]).encodedBody == hex("01 dd 00"))
        #expect(SignResponse(error: "no").encodedBody == hex("00 02 6e6f"))
    }

    // MARK: Primitives

    @Test("a string list is a count, then that many strings")
    func stringList() throws {
        let list = ["", "a", "é😀"]
        let bytes = written { $0.writeStringList(list) }
        #expect(bytes == hex("03 00 01 61 06 c3a9 f09f9880"))
        var reader = ByteReader(bytes)
        #expect(try reader.readStringList() == list)
        try reader.expectEnd()
        var empty = ByteReader([0])
        #expect(try empty.readStringList() == [])
    }

    @Test("a string list count over the bytes left is refused before anything is read")
    func stringListCount() {
        // The bound is the bytes left at the count, its own byte included.
        var reader = ByteReader(hex("05 00 00 00"))
        #expect(caught { () throws(WireError) in try reader.readStringList() }
            == WireError(.malformedMessage("length 5 over limit 4")))
    }

    @Test("a duration is a finite, non-negative f64",
          arguments: [0, -0.0, .leastNonzeroMagnitude, 1.5, .greatestFiniteMagnitude] as [Double])
    func goodDuration(seconds: Double) throws {
        var reader = ByteReader(written { $0.writeInteger(seconds.bitPattern) })
        let read = try reader.readDuration()
        #expect(read.bitPattern == seconds.bitPattern)
    }

    @Test("a duration that is negative, infinite or NaN is refused", arguments: badDurations)
    func badDuration(seconds: Double) {
        var reader = ByteReader(written { $0.writeInteger(seconds.bitPattern) })
        #expect(caught { () throws(WireError) in try reader.readDuration() }
            == WireError(.malformedMessage("bad duration")))
    }

    @Test("a duration needs 8 bytes")
    func shortDuration() {
        var reader = ByteReader([0x3F, 0xF8, 0, 0, 0, 0, 0])
        #expect(caught { () throws(WireError) in try reader.readDuration() }
            == WireError(.malformedMessage("short read of 8-byte integer")))
    }
}
