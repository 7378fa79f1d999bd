#if canImport(Glibc)
import Glibc
#endif
@testable import RhizomeSSH
import Testing

/// Public key blobs as libssh2 1.10 offers them: renamed RSA blobs, and the key
/// types it cannot log in with.
@Suite struct PublicKeyBlobTests {
    static func string(_ text: String) -> [UInt8] { string(Array(text.utf8)) }
    static func string(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    /// `string "ssh-rsa", mpint e, mpint n`, with a made-up modulus.
    static let rsa = string("ssh-rsa") + string([1, 0, 1]) + string([0x00, 0xC3] + [UInt8](repeating: 0x5A, count: 383))

    @Test("renaming an RSA blob changes its first string only", arguments: ["rsa-sha2-256", "rsa-sha2-512"])
    func renamesRSA(_ algorithm: String) throws {
        let renamed = try #require(PublicKeyBlob.renamed(Self.rsa, to: algorithm))
        #expect(PublicKeyBlob.type(of: renamed) == algorithm)
        #expect(renamed == Self.string(algorithm) + Self.rsa.dropFirst(4 + 7))
        #expect(PublicKeyBlob.renamed(renamed, to: "ssh-rsa") == Self.rsa, "renaming back gives the key's own blob")
    }

    @Test("malformed blobs have no type and are not renamed", arguments: [
        [] as [UInt8], [0, 0, 0], [0, 0, 0, 9, 65], [0, 0, 0, 0],
    ])
    func malformed(_ blob: [UInt8]) {
        #expect(PublicKeyBlob.type(of: blob) == nil)
        if blob.count < 4 || blob == [0, 0, 0, 9, 65] { #expect(PublicKeyBlob.renamed(blob, to: "rsa-sha2-256") == nil) }
    }

    @Test("signatures are named after the blob, except ECDSA certificates, named after the plain key", arguments: [
        ("ssh-ed25519", "ssh-ed25519"),
        ("rsa-sha2-512", "rsa-sha2-512"),
        ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"),
        ("ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256"),
        ("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521"),
    ])
    func signatureAlgorithms(type: String, algorithm: String) {
        #expect(PublicKeyBlob.signatureAlgorithm(forType: type) == algorithm)
    }

    @Test("Ed25519 and RSA certificates and security keys are not usable with libssh2 1.10, with the reason", arguments: [
        "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ])
    func unsupported(_ type: String) throws {
        let reason = try #require(PublicKeyBlob.unsupportedReason(forType: type))
        #expect(reason.contains(type) && reason.contains("libssh2 1.10"), "\(reason)")
    }

    @Test("plain keys and ECDSA certificates are usable", arguments: [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", "rsa-sha2-256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    ])
    func supported(_ type: String) {
        #expect(PublicKeyBlob.unsupportedReason(forType: type) == nil)
    }

    @Test("an identity file's public key is read from its .pub, else from the OpenSSH file, encrypted or not",
          arguments: ["-t ed25519", "-t ecdsa -b 384", "-t rsa -b 2048"])
    func readsIdentityFile(_ options: String) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/key"
            try generateKey(at: path, options: options, passphrase: "secret words")
            let blob = try publicKey(at: path).blob
            #expect(PublicKeyBlob.read(identityFile: path) == blob)
            #expect(unlink(path + ".pub") == 0)
            #expect(PublicKeyBlob.read(identityFile: path) == blob, "the OpenSSH format keeps the public key in clear")
            #expect(SSHSession.privateKeyType(path) == PublicKeyBlob.type(of: blob))
            #expect(PublicKeyBlob.read(identityFile: directory + "/missing") == nil)
            try writeText(directory + "/truncated", SSHSession.openSSHKeyHeader + "-----\nb3BlbnNz\n")
            #expect(PublicKeyBlob.read(identityFile: directory + "/truncated") == nil)
        }
    }

    @Test("a signature of another algorithm than the login names is refused before libssh2 sends it")
    func signatureAlgorithmChecked() throws {
        let signature = Self.string("ssh-rsa") + Self.string([UInt8](repeating: 1, count: 384))
        #expect(try PublicKeySigner.rawSignature(of: signature, algorithm: "ssh-rsa") == [UInt8](repeating: 1, count: 384))
        let error = try #require(throws: PublicKeySigner.MalformedSignature.self) {
            try PublicKeySigner.rawSignature(of: signature, algorithm: "rsa-sha2-512")
        }
        #expect("\(error)".contains("ssh-rsa") && "\(error)".contains("rsa-sha2-512"), "\(error)")
        #expect(throws: PublicKeySigner.MalformedSignature.self) {
            try PublicKeySigner.rawSignature(of: Array(signature.dropLast()), algorithm: "ssh-rsa")
        }
    }
}
