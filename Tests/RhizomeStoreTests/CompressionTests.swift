import RhizomeStore
import Testing

@Suite struct GzipTests {
    @Test(arguments: [Sample.empty, .oneByte, .line, .prose300K, .noise200K, .zeros3M, .mixed])
    func roundTrip(sample: Sample) throws {
        let input = sample.bytes
        let compressed = try Gzip.compress(input)
        #expect(Array(compressed.prefix(3)) == [0x1F, 0x8B, 0x08])  // gzip magic, deflate
        #expect(try Gzip.decompress(compressed) == input)
    }

    @Test func compressesRedundantData() throws {
        let input = prose(count: 300_000)
        #expect(try Gzip.compress(input).count < input.count / 4)
    }

    @Test(arguments: Array(Int32(0) ... 9))
    func everyLevelRoundTrips(level: Int32) throws {
        let input = prose(count: 50_000)
        #expect(try Gzip.decompress(Gzip.compress(input, level: level)) == input)
    }

    @Test func levelOutOfRangeThrows() {
        #expect(throws: Gzip.Failure.self) { try Gzip.compress([1, 2, 3], level: 10) }
    }

    @Test(arguments: [Sample.prose1M, .noise70K, .empty])
    func gzipCommandReadsTheOutput(sample: Sample) throws {
        let input = sample.bytes
        try withTemporaryDirectory { directory in
            try writeFile(directory + "/data.gz", try Gzip.compress(input))
            let result = try shell("gzip -dc '\(directory)/data.gz' > '\(directory)/data' && echo ok")
            #expect(result.status == 0)
            #expect(result.output == Array("ok\n".utf8))
            #expect(try readFile(directory + "/data") == input)
        }
    }

    @Test func decompressesWhatTheGzipCommandWrites() throws {
        let input = prose(count: 500_000) + noise(count: 10_000)
        try withTemporaryDirectory { directory in
            try writeFile(directory + "/data", input)
            #expect(try shell("gzip -9 '\(directory)/data'").status == 0)
            #expect(try Gzip.decompress(try readFile(directory + "/data.gz")) == input)
        }
    }

    @Test func corruptDataIsRefused() throws {
        let compressed = try Gzip.compress(prose(count: 100_000))
        var flipped = compressed
        for index in stride(from: 20, to: flipped.count - 8, by: 97) { flipped[index] ^= 0x5A }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(flipped) }
    }

    @Test func wrongChecksumIsRefused() throws {
        var compressed = try Gzip.compress(prose(count: 10_000))
        compressed[compressed.count - 8] ^= 0xFF  // first byte of the CRC-32 trailer
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(compressed) }
    }

    @Test func wrongLengthIsRefused() throws {
        var compressed = try Gzip.compress(prose(count: 10_000))
        compressed[compressed.count - 1] ^= 0x01  // ISIZE trailer
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(compressed) }
    }

    @Test(arguments: [1, 10, 100, 1000])
    func truncatedDataIsRefused(cut: Int) throws {
        let compressed = try Gzip.compress(noise(count: 5_000))
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(compressed.dropLast(cut))) }
    }

    @Test(arguments: [[], [0x1F], [0x1F, 0x8B], Array("plain text, not gzip".utf8), noise(count: 4096)] as [[UInt8]])
    func dataThatIsNotGzipIsRefused(input: [UInt8]) {
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(input) }
    }

    @Test func zlibStreamWithoutTheGzipWrapperIsRefused() {
        // A zlib header (78 9C) and an empty deflate block: valid zlib, not gzip.
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress([0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) }
    }

    @Test func outputBeyondTheLimitIsRefused() throws {
        let size = 1 << 20
        let compressed = try Gzip.compress([UInt8](repeating: 0, count: size))
        #expect(try Gzip.decompress(compressed, limit: size).count == size)
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(compressed, limit: size - 1) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(compressed, limit: 1000) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(compressed, limit: 0) }
    }

    @Test func failureCarriesTheZlibCode() throws {
        let error = try #require(throws: Gzip.Failure.self) { try Gzip.decompress(Array("not gzip".utf8)) }
        #expect(error.code == -3)  // Z_DATA_ERROR
        #expect(error.description == "zlib error -3")
    }
}

@Suite struct LZ4Tests {
    @Test(arguments: [Sample.zeros1M, .prose100, .prose64K, .prose1M, .mixed])
    func roundTrip(sample: Sample) throws {
        let input = sample.bytes
        let compressed = try #require(LZ4.compress(input))
        #expect(compressed.count < input.count)
        #expect(try LZ4.decompress(compressed, originalSize: input.count) == input)
    }

    @Test(arguments: [Sample.noise1, .noise100, .noise200K])
    func incompressibleDataIsNotCompressed(sample: Sample) {
        #expect(LZ4.compress(sample.bytes) == nil)
    }

    @Test func tinyInputsAreNotWorthCompressing() {
        #expect(LZ4.compress([]) == nil)
        #expect(LZ4.compress([7]) == nil)
        #expect(LZ4.compress(Array("ab".utf8)) == nil)
    }

    @Test func emptyBlockDecompressesToNothing() throws {
        #expect(try LZ4.decompress([], originalSize: 0) == [])
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress([0], originalSize: 0) }
    }

    @Test func wrongOriginalSizeIsRefused() throws {
        let input = prose(count: 50_000)
        let compressed = try #require(LZ4.compress(input))
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(compressed, originalSize: input.count + 1) }
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(compressed, originalSize: input.count - 1) }
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(compressed, originalSize: 10) }
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(compressed, originalSize: -1) }
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(compressed, originalSize: Int(Int32.max)) }
    }

    @Test func corruptDataIsRefused() throws {
        let input = prose(count: 50_000)
        let compressed = try #require(LZ4.compress(input))
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(Array(compressed.dropLast(10)), originalSize: input.count) }
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress(noise(count: 2000), originalSize: input.count) }
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress([], originalSize: 10) }
        // A match offset of zero is invalid in every LZ4 block.
        #expect(throws: LZ4.Failure.self) { try LZ4.decompress([0x1F, 0x61, 0x00, 0x00, 0x50, 0x61, 0x61, 0x61, 0x61, 0x61], originalSize: 30) }
    }
}
