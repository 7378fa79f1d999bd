import RhizomeWire
import Testing

@Suite("WireValue from JSON text")
struct WireValueJSONParsingTests {
    @Test("values",
          arguments: [
              ("null", .null), ("true", true), ("false", false), ("0", 0), ("-17", -17),
              ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
              ("1.5", .double(1.5)), ("-2.5e3", .double(-2500)), ("1E2", .double(100)), ("2.0", .double(2)),
              // Integers beyond Int64 become doubles rather than failing.
              ("9223372036854775808", .double(9_223_372_036_854_775_808)),
              (#""""#, ""), (#""a\"b\\c\/d""#, "a\"b\\c/d"), (#""\b\f\n\r\t""#, "\u{8}\u{C}\n\r\t"),
              (#""\u00e9\u4E2D""#, "é中"), (#""\ud83d\ude00""#, "😀"), ("\"é😀\"", "é😀"),
              ("[]", []), ("{}", [:]), (" [ 1 , [ ] , { } ] ", [1, [], [:]]),
              (#"{"b":1,"a":[null,true],"b":"x"}"#, ["b": 1, "a": [nil, true], "b": "x"]),
              ("\n\t{ \"k\" :\r\n\"v\" }\n", ["k": "v"]),
          ] as [(String, WireValue)])
    func values(text: String, expected: WireValue) throws {
        #expect(try WireValue(jsonText: text) == expected)
    }

    @Test("lone surrogates become U+FFFD without eating what follows",
          arguments: [
              (#""\ud800""#, "\u{FFFD}"),
              (#""\ud800x""#, "\u{FFFD}x"),
              (#""\ud800\u0041""#, "\u{FFFD}A"),
              (#""\ud800\ud83d\ude00""#, "\u{FFFD}😀"),
              (#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"),
              (#""\ud800\n""#, "\u{FFFD}\n"),
          ])
    func loneSurrogates(text: String, expected: String) throws {
        #expect(try WireValue(jsonText: text) == .string(expected))
    }

    @Test("malformed text is refused with the offset of the problem",
          arguments: [
              ("", 0), ("   ", 3), ("nul", 0), ("[1,]", 3), ("[1 2]", 3), ("{\"a\" 1}", 5), ("{\"a\":1,}", 7),
              ("{1:2}", 1), ("[", 1), ("{", 1), ("\"abc", 4), ("\"\\x\"", 3), ("\"\\u12\"", 3), ("\"\\u12g4\"", 6),
              ("\"a\u{1}\"", 3), ("1 2", 2), ("-", 1), ("1e", 2), ("@", 0), ("[]]", 2),
          ] as [(String, Int)])
    func malformed(text: String, offset: Int) {
        do {
            let value = try WireValue(jsonText: text)
            Issue.record("accepted \(text.debugDescription) as \(value)")
        } catch {
            #expect(error.offset == offset, "\(error)")
        }
    }

    @Test("nesting deeper than the value depth limit is refused")
    func depthLimit() throws {
        let limit = FrameLimits.maxValueDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try WireValue(jsonText: deepest) }
        let tooDeep = "[" + deepest + "]"
        #expect(throws: WireValue.JSONError.self) { try WireValue(jsonText: tooDeep) }
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: WireValue.JSONError.self) { try WireValue(jsonText: hostile) }
    }

    @Test("the text of a value parses back to the same text", arguments: WireValueTests.samples)
    func textRoundTrip(value: WireValue) throws {
        for text in [value.jsonText, value.prettyJSONText] {
            let parsed = try WireValue(jsonText: text)
            #expect(parsed.jsonText == value.jsonText)
        }
    }

    @Test("values made only of JSON's own types parse back equal")
    func valueRoundTrip() throws {
        let value: WireValue = [
            "changed": true, "rc": -1, "delta": .double(0.25), "big": .double(1e300), "tiny": .double(.leastNonzeroMagnitude),
            "neg_zero": .double(-0.0), "text": "tab\there \"quoted\" \u{1}\u{1F} é 😀 \u{2028}", "none": nil,
            "list": [[], [:], [1, "2", [nil]]],
        ]
        #expect(try WireValue(jsonText: value.jsonText) == value)
        #expect(try WireValue(jsonText: value.prettyJSONText) == value)
    }
}
