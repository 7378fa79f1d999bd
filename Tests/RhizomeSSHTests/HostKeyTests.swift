import CLibSSH2
@testable import RhizomeSSH
import Testing

@Suite struct HostKeyTests {
    static let keyKinds: [(options: String, type: String)] = [
        ("-t ed25519", "ssh-ed25519"),
        ("-t ecdsa -b 256", "ecdsa-sha2-nistp256"),
        ("-t ecdsa -b 384", "ecdsa-sha2-nistp384"),
        ("-t ecdsa -b 521", "ecdsa-sha2-nistp521"),
        ("-t rsa -b 1024", "ssh-rsa"),
    ]

    @Test(arguments: keyKinds)
    func fingerprintIsWhatSshKeygenPrints(options: String, type: String) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/key"
            try generateKey(at: path, options: options)
            let key = try publicKey(at: path)
            #expect(key.type == type)
            // "256 SHA256:… rhizome-test (ED25519)"
            let listed = try shell("ssh-keygen -l -E sha256 -f '\(path).pub'")
            #expect(listed.status == 0)
            let fields = listed.output.split(separator: " ")
            #expect(fields.count >= 2)
            #expect(key.fingerprint == String(fields[1]))
            #expect(!key.fingerprint.hasSuffix("="))
        }
    }

    @Test(arguments: keyKinds)
    func knownHostsTextIsThePublicKeyFileWithoutItsComment(options: String, type: String) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/key"
            try generateKey(at: path, options: options)
            let publicText = try readText(path + ".pub")
            let key = try publicKey(at: path)
            #expect(publicText.hasPrefix(key.knownHostsText + " rhizome-test"))
        }
    }

    @Test func knownHostsLineForAGeneratedKeyIsAcceptedBySshKeygen() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/key"
            try generateKey(at: path, options: "-t ed25519")
            let key = try publicKey(at: path)
            try writeText(directory + "/known_hosts", KnownHosts.line(host: "web.lab", port: 2222, key: key) + "\n")
            let found = try shell("ssh-keygen -F '[web.lab]:2222' -f '\(directory)/known_hosts'")
            #expect(found.status == 0)
            #expect(found.output.contains(key.knownHostsText))
        }
    }

    @Test(arguments: [
        (LIBSSH2_HOSTKEY_TYPE_RSA, "ssh-rsa"),
        (LIBSSH2_HOSTKEY_TYPE_DSS, "ssh-dss"),
        (LIBSSH2_HOSTKEY_TYPE_ECDSA_256, "ecdsa-sha2-nistp256"),
        (LIBSSH2_HOSTKEY_TYPE_ECDSA_384, "ecdsa-sha2-nistp384"),
        (LIBSSH2_HOSTKEY_TYPE_ECDSA_521, "ecdsa-sha2-nistp521"),
        (LIBSSH2_HOSTKEY_TYPE_ED25519, "ssh-ed25519"),
        (LIBSSH2_HOSTKEY_TYPE_UNKNOWN, "unknown"),
        (Int32(99), "unknown"),
    ])
    func libssh2KeyTypesHaveTheirSSHNames(code: Int32, name: String) {
        #expect(HostKey.typeName(libssh2Type: code) == name)
    }
}

@Suite struct Base64Tests {
    // RFC 4648, section 10.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
        let unpadded = String(encoded.prefix(while: { $0 != "=" }))
        #expect(Base64.encode(Array(plain.utf8), padding: false) == unpadded)
        #expect(Base64.decode(unpadded) == Array(plain.utf8))
    }

    @Test func everyLengthAndByteRoundTrips() {
        for length in 0 ... 70 {
            let bytes = (0 ..< length).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ length &* 151) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, padding: false)) == bytes)
            #expect(Base64.encode(bytes).count == (length + 2) / 3 * 4)
        }
        let all = Array(UInt8.min ... UInt8.max)
        #expect(Base64.decode(Base64.encode(all)) == all)
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    @Test func encodingMatchesTheBase64Command() throws {
        let bytes = Array(UInt8.min ... UInt8.max) + Array("known_hosts".utf8)
        try withTemporaryDirectory { directory in
            let file = directory + "/data"
            try writeBytes(file, bytes)
            let encoded = try shell("base64 -w0 '\(file)'")
            #expect(encoded.status == 0)
            #expect(Base64.encode(bytes) == encoded.output)
        }
    }

    @Test(arguments: ["Zm9v!", "Zm 9v", "Zm9v\n", "Zm9v-_", "é"])
    func charactersOutsideTheAlphabetAreRejected(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}

@Suite struct HostKeyPreferenceTests {
    static let all = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                      "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]

    @Test func nothingKnownLeavesLibssh2sDefault() {
        #expect(SSHSession.hostKeyPreference([]) == nil)
    }

    @Test(arguments: [["ssh-dss"], ["ssh-ed25519-cert-v01@openssh.com"], ["sk-ssh-ed25519@openssh.com"], [""]])
    func typesLibssh2CannotVerifyAreIgnored(types: [String]) {
        #expect(SSHSession.hostKeyPreference(types) == nil)
    }

    @Test(arguments: [
        (["ssh-ed25519"], all),
        (["ecdsa-sha2-nistp384"], ["ecdsa-sha2-nistp384", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521",
                                   "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]),
        (["ssh-rsa"], ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256",
                       "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"]),
        (["ssh-rsa", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss"],
         ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ecdsa-sha2-nistp521", "ssh-ed25519", "ecdsa-sha2-nistp256",
          "ecdsa-sha2-nistp384"]),
    ])
    func knownTypesComeFirstThenTheRest(known: [String], expected: [String]) throws {
        let preference = try #require(SSHSession.hostKeyPreference(known))
        let algorithms = preference.split(separator: ",").map(String.init)
        #expect(algorithms == expected)
        #expect(Set(algorithms) == Set(Self.all))
        #expect(algorithms.count == Self.all.count)
    }
}

@Suite struct PrivateKeyEncryptionTests {
    @Test(arguments: [
        ("-t ed25519", false), ("-t ed25519", true),
        ("-t ecdsa", false), ("-t ecdsa", true),
        ("-t rsa -b 1024", false), ("-t rsa -b 1024", true),
        ("-t rsa -b 1024 -m PEM", false), ("-t rsa -b 1024 -m PEM", true),
        ("-t ecdsa -m PEM", false), ("-t ecdsa -m PEM", true),
        ("-t rsa -b 1024 -m PKCS8", false), ("-t rsa -b 1024 -m PKCS8", true),
    ])
    func keysWrittenBySshKeygen(options: String, withPassphrase: Bool) throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/id"
            try generateKey(at: path, options: options, passphrase: withPassphrase ? "correct horse" : "")
            #expect(SSHSession.isEncrypted(path) == withPassphrase)
            #expect(!SSHSession.isEncrypted(path + ".pub"))
        }
    }

    @Test func passphraseAddedLaterIsDetected() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/id"
            try generateKey(at: path, options: "-t ed25519")
            #expect(!SSHSession.isEncrypted(path))
            #expect(try shell("ssh-keygen -q -p -P '' -N 'new secret' -f '\(path)' 2>&1").status == 0)
            #expect(SSHSession.isEncrypted(path))
        }
    }

    @Test func unreadableOrOtherFilesAreNotEncrypted() throws {
        try withTemporaryDirectory { directory in
            #expect(!SSHSession.isEncrypted(directory + "/missing"))
            try writeText(directory + "/empty", "")
            #expect(!SSHSession.isEncrypted(directory + "/empty"))
            try writeText(directory + "/text", "just some text\nENCRYPTED\n")
            #expect(!SSHSession.isEncrypted(directory + "/text"))
            // A truncated key file: the armour line and a few bytes of body.
            try writeText(directory + "/truncated", SSHSession.openSSHKeyHeader + "-----\nb3BlbnNz\n")
            #expect(!SSHSession.isEncrypted(directory + "/truncated"))
        }
    }
}
