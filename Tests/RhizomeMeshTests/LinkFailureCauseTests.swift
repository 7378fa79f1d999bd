#if canImport(Glibc)
import Glibc
#endif
import RhizomeMesh
import RhizomeSSH
import Testing

/// The cause `rhizome topology --probe` shows for a link that failed.
@Suite("link failure causes")
struct LinkFailureCauseTests {
    func error(_ phase: LinkSetupError.Phase, _ code: SSHError.Code?) -> LinkSetupError {
        LinkSetupError(phase: phase, target: "h", message: "m", code: code)
    }

    @Test("SSH error codes name the cause, whatever the step")
    func fromCodes() {
        #expect(error(.connect, .timeout).cause == .timeout)
        #expect(error(.bootstrap, .timeout).cause == .timeout)
        #expect(error(.connect, .refused).cause == .connectionRefused)
        #expect(error(.connect, .noRoute).cause == .noRoute)
        #expect(error(.connect, .resolve).cause == .nameNotResolved)
        #expect(error(.connect, .handshake).cause == .handshake)
        #expect(error(.hostKey, .hostKeyMismatch).cause == .hostKeyMismatch)
        #expect(error(.hostKey, .hostKeyUnknown).cause == .hostKeyUnknown)
        #expect(error(.authentication, .authentication).cause == .authRefused)
    }

    @Test("without a telling code, the step does")
    func fromPhases() {
        #expect(error(.authentication, .closed).cause == .authRefused)
        #expect(error(.bootstrap, nil).cause == .bootstrap)
        #expect(error(.connect, .connect).cause == .other)
        #expect(LinkFailureCause(phase: "link") == .linkLost)
        #expect(LinkFailureCause(phase: "host key") == .other)
        #expect(LinkFailureCause(phase: "authentication") == .authRefused)
        #expect(LinkFailureCause(phase: "bootstrap") == .bootstrap)
        #expect(LinkFailureCause(phase: "connect") == .other)
    }

    @Test("nothing listening: connection refused")
    func refused() throws {
        let (fd, port) = try listener()
        close(fd)  // the port is free again: nothing listens
        let failure = try #require(throws: LinkSetupError.self) {
            try LinkSetup.openSession(target: LinkTarget(name: "h", address: "127.0.0.1", port: port, user: "u", connectTimeout: 2),
                                      knownHosts: KnownHosts(lines: [], source: "test"), policy: .strict, authentication: [])
        }
        #expect(failure.cause == .connectionRefused)
        #expect(failure.phase == .connect)
    }

    @Test("a port that accepts but never speaks SSH: timeout, within the operation timeout")
    func silentServer() throws {
        let (fd, port) = try listener()
        defer { close(fd) }
        let target = LinkTarget(name: "h", address: "127.0.0.1", port: port, user: "u", connectTimeout: 2, operationTimeout: 1)
        let failure = try #require(throws: LinkSetupError.self) {
            try LinkSetup.openSession(target: target, knownHosts: KnownHosts(lines: [], source: "test"), policy: .strict,
                                      authentication: [])
        }
        #expect(failure.cause == .timeout, "\(failure.phase) \(failure.message)")
    }

    /// A socket listening on a free loopback port; the kernel completes connections without an accept.
    func listener() throws -> (CInt, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(bound == 0 && listen(fd, 4) == 0)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
