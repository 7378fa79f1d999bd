import RhizomeStore
import Testing

@Suite struct DigestTests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("The quick brown fox jumps over the lazy dog",
         "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ]

    @Test(arguments: vectors)
    func knownVectors(input: String, expected: String) {
        #expect(Digest.sha256(Array(input.utf8)).hex == expected)
        #expect(Digest.sha256(input.utf8).hex == expected)
    }

    @Test func oneMebibyteOfZerosMatchesSha256sum() throws {
        let result = try shell("head -c 1048576 /dev/zero | sha256sum")
        #expect(result.status == 0)
        let expected = String(decoding: result.output.prefix(64), as: UTF8.self)
        #expect(expected.count == 64)
        #expect(Digest.sha256([UInt8](repeating: 0, count: 1 << 20)).hex == expected)
    }

    @Test func noiseMatchesSha256sumOfTheSameFile() throws {
        let data = noise(count: 3_000_017)
        try withTemporaryDirectory { directory in
            try writeFile(directory + "/data", data)
            let result = try shell("sha256sum '\(directory)/data'")
            #expect(result.status == 0)
            #expect(Digest.sha256(data).hex == String(decoding: result.output.prefix(64), as: UTF8.self))
        }
    }

    @Test(arguments: [1, 7, 63, 64, 65, 4096, 100_000])
    func incrementalHashingEqualsOneShot(pieceSize: Int) {
        let data = noise(count: 250_000)
        var hasher = SHA256Hasher()
        var offset = 0
        while offset < data.count {
            hasher.update(data[offset ..< min(offset + pieceSize, data.count)])
            offset += pieceSize
        }
        #expect(hasher.finalize() == Digest.sha256(data))
    }

    @Test func collectionsWithoutContiguousStorageHashTheSame() {
        let data = prose(count: 10_000)
        let lazy = data.lazy.map { $0 }
        #expect(Digest.sha256(lazy) == Digest.sha256(data))
        var hasher = SHA256Hasher()
        hasher.update(lazy.prefix(5_000))
        hasher.update(data[5_000...])
        #expect(hasher.finalize() == Digest.sha256(data))
    }

    @Test func hasherWithNoInputIsTheEmptyDigest() {
        #expect(SHA256Hasher().finalize().hex == Self.vectors[0].1)
    }

    @Test(arguments: [Sample.empty, .oneByte, .line, .noise100, .noise70K])
    func hexRoundTrips(sample: Sample) throws {
        let digest = Digest.sha256(sample.bytes)
        #expect(digest.hex.count == 64)
        #expect(digest.hex == digest.hex.lowercased())
        #expect(Digest(hex: digest.hex) == digest)
        #expect(Digest(hex: digest.hex.uppercased()) == digest)
        #expect(try #require(Digest(bytes: digest.bytes)) == digest)
        #expect(digest.description == "sha256:" + digest.hex)
        #expect(digest.bytes.count == 32)
    }

    @Test func hexMapsToBytesInOrder() throws {
        let digest = try #require(Digest(hex: "000102030405060708090a0b0c0d0e0f" + "A0B0C0D0E0F0FF10" + "2030405060708090"))
        #expect(digest.bytes == Array(0 ... 15) + [0xA0, 0xB0, 0xC0, 0xD0, 0xE0, 0xF0, 0xFF, 0x10]
            + [0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90])
        #expect(digest.hex == "000102030405060708090a0b0c0d0e0fa0b0c0d0e0f0ff102030405060708090")
    }

    @Test(arguments: [
        "",
        String(repeating: "a", count: 63),
        String(repeating: "a", count: 65),
        String(repeating: "a", count: 128),
        String(repeating: "a", count: 63) + "g",
        String(repeating: "a", count: 63) + " ",
        "0x" + String(repeating: "a", count: 62),
        String(repeating: "é", count: 32),  // 64 bytes of UTF-8, none of them hex digits
        " " + String(repeating: "a", count: 63),
    ])
    func invalidHexIsRejected(text: String) {
        #expect(Digest(hex: text) == nil)
    }

    @Test(arguments: [0, 1, 31, 33, 64])
    func onlyThirtyTwoBytesMakeADigest(count: Int) {
        #expect(Digest(bytes: [UInt8](repeating: 1, count: count)) == nil)
    }

    @Test func differentInputsGiveDifferentDigests() {
        #expect(Digest.sha256([0]) != Digest.sha256([]))
        #expect(Digest.sha256([0]) != Digest.sha256([0, 0]))
        #expect(Digest.sha256(Array("abc".utf8)) != Digest.sha256(Array("abd".utf8)))
    }
}

@Suite struct HMACSHA1Tests {
    // RFC 2202, section 3, test cases 1–7; and the empty key and message.
    static let vectors: [([UInt8], [UInt8], String)] = [
        ([UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        ([UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        (Array(1 ... 25), [UInt8](repeating: 0xCD, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        ([UInt8](repeating: 0x0C, count: 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        ([UInt8](repeating: 0xAA, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        ([UInt8](repeating: 0xAA, count: 80),
         Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
        ([], [], "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"),
    ]

    @Test(arguments: vectors)
    func rfc2202Vectors(key: [UInt8], data: [UInt8], expected: String) {
        let code = HMACSHA1.authenticationCode(key: key, data: data)
        #expect(code.count == 20)
        #expect(hex(code) == expected)
    }
}
