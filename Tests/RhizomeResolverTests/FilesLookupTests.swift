import Foundation
import RhizomeResolver
import Testing

/// The relay's lookups (c-ares), against hosts and resolv.conf files of the
/// test's own and a DNS server on loopback. Serialized: a hosts file other
/// than /etc/hosts is handed to c-ares through the process environment.
@Suite(.serialized) struct FilesLookupTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rz-resolver-\(getpid())-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func hosts(_ lookup: NameLookup, _ name: String) throws -> [String] {
        try lookup.addresses(of: name, port: 22, timeout: 3).map(\.numericHost)
    }

    @Test func hostsFileNamesAliasesAndComments() throws {
        let files = ResolverFiles(resolvConf: try file("resolv.conf", ""), hosts: try file("hosts", """
            # a comment line
            127.0.0.1\tlocalhost
            10.1.2.3   web.lab web   # trailing comment
            10.1.2.4 db.lab
            2001:db8::5 six.lab
            """), order: "f")
        #expect(try hosts(.files(files), "web.lab") == ["10.1.2.3"])
        #expect(try hosts(.files(files), "web") == ["10.1.2.3"])
        #expect(try hosts(.files(files), "WEB.Lab") == ["10.1.2.3"])
        #expect(try hosts(.files(files), "db.lab") == ["10.1.2.4"])
        #expect(try hosts(.files(files), "six.lab") == ["2001:db8::5"])
        let error = try #require(throws: ResolveError.self) { try hosts(.files(files), "comment") }
        #expect(error.code == .notFound, "\(error)")
        #expect(error.description.hasPrefix("cannot resolve comment: "))
        #expect(error.description.contains("(looked in hosts file)"), "\(error)")
    }

    @Test func aLookupInTheHostsFileIsQuick() throws {
        let files = ResolverFiles(resolvConf: try file("resolv.conf", ""), hosts: try file("hosts", "10.1.2.3 web.lab\n"),
                                  order: "f")
        let start = Date()
        for _ in 0 ..< 100 { _ = try hosts(.files(files), "web.lab") }
        // Each lookup reads the files afresh (a relay's files may change); that costs well under a millisecond.
        #expect(Date().timeIntervalSince(start) < 1, "100 lookups took \(Date().timeIntervalSince(start)) s")
    }

    @Test func numericAddressesAreNotLookedUp() throws {
        // No hosts file, no nameserver: a numeric address needs neither.
        let files = ResolverFiles(resolvConf: try file("resolv.conf", "nameserver 192.0.2.1\n"),
                                  hosts: try file("hosts", ""), order: "fb")
        #expect(try hosts(.files(files), "198.18.2.21") == ["198.18.2.21"])
        #expect(try hosts(.files(files), "fe80::1") == ["fe80::1"])
    }

    @Test func resolvConfNameserverSearchAndOptions() throws {
        let server = try FakeDNS(records: ["u01.lab.test": "10.9.8.7", "www.example.test": "10.9.8.8"])
        defer { server.stop() }
        let conf = try file("resolv.conf", """
            # comment
            ; another comment
            nameserver 127.0.0.1
            search lab.test other.test
            options ndots:1 timeout:1 attempts:1
            """)
        let files = ResolverFiles(resolvConf: conf, hosts: try file("hosts", ""), order: "b", dnsPort: server.port)
        // A name without dots gets the search domains (ndots:1).
        #expect(try hosts(.files(files), "u01") == ["10.9.8.7"])
        #expect(try hosts(.files(files), "u01.lab.test") == ["10.9.8.7"])
        #expect(try hosts(.files(files), "www.example.test") == ["10.9.8.8"])
        let error = try #require(throws: ResolveError.self) { try hosts(.files(files), "nosuch") }
        #expect(error.code == .notFound)
        #expect(error.description.contains("DNS 127.0.0.1"), "\(error)")
        #expect(server.questions.contains("u01.lab.test"))
        #expect(server.questions.contains("nosuch.other.test"))
    }

    @Test(arguments: [("fb", "10.0.0.1"), ("bf", "10.9.8.7"), ("f", "10.0.0.1"), ("b", "10.9.8.7")])
    func lookupOrder(order: String, expected: String) throws {
        let server = try FakeDNS(records: ["u01.lab.test": "10.9.8.7"])
        defer { server.stop() }
        let files = ResolverFiles(resolvConf: try file("resolv.conf", "nameserver 127.0.0.1\n"),
                                  hosts: try file("hosts", "10.0.0.1 u01.lab.test\n"), order: order, dnsPort: server.port)
        #expect(try hosts(.files(files), "u01.lab.test") == [expected])
    }

    @Test func aNameserverThatDoesNotAnswerIsATimeout() throws {
        let server = try FakeDNS(records: [:], answers: false)
        defer { server.stop() }
        let files = ResolverFiles(resolvConf: try file("resolv.conf", "nameserver 127.0.0.1\noptions timeout:5\n"),
                                  hosts: try file("hosts", ""), order: "b", dnsPort: server.port)
        let start = Date()
        let error = try #require(throws: ResolveError.self) {
            try NameLookup.files(files).addresses(of: "slow.lab", port: 22, timeout: 0.3)
        }
        #expect(error.code == .timeout)
        #expect(Date().timeIntervalSince(start) < 2)
    }
}

/// A DNS server on 127.0.0.1 that answers A queries from `records`, NXDOMAIN
/// for other names, and no data for other types (or nothing at all).
final class FakeDNS: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var asked: [String] = []
    private var running = true

    var questions: [String] { lock.lock(); defer { lock.unlock() }; return asked }

    init(records: [String: String], answers: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in serve(records: records, answers: answers) }
    }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
    }

    private func serve(records: [String: String], answers: Bool) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1500)
        while true {
            lock.lock()
            let go = running
            lock.unlock()
            guard go else { return }
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &peerLength) }
            }
            guard count > 12 else { continue }
            let query = Array(buffer[0 ..< count])
            // Question: labels from offset 12, then type and class.
            var offset = 12
            var labels: [String] = []
            while offset < query.count, query[offset] != 0 {
                let length = Int(query[offset])
                labels.append(String(decoding: query[(offset + 1) ..< min(query.count, offset + 1 + length)], as: UTF8.self))
                offset += 1 + length
            }
            let questionEnd = offset + 5
            guard questionEnd <= query.count else { continue }
            let type = UInt16(query[offset + 1]) << 8 | UInt16(query[offset + 2])
            let name = labels.joined(separator: ".").lowercased()
            lock.lock()
            asked.append(name)
            lock.unlock()
            guard answers else { continue }
            let address = records[name]
            var reply = Array(query[0 ..< 2])
            reply += [0x81, address == nil ? 0x83 : 0x80]  // response, recursion desired/available; NXDOMAIN if unknown
            reply += [0, 1, 0, (address != nil && type == 1) ? 1 : 0, 0, 0, 0, 0]
            reply += query[12 ..< questionEnd]
            if let address, type == 1 {
                reply += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]
                reply += address.split(separator: ".").compactMap { UInt8($0) }
            }
            _ = withUnsafePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, peerLength) }
            }
        }
    }
}
