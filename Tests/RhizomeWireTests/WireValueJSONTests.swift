import RhizomeWire
import Testing

@Suite("WireValue JSON text")
struct WireValueJSONTests {
    @Test("scalars",
          arguments: [
              (.null, "null"), (true, "true"), (false, "false"), (0, "0"), (-42, "-42"),
              (.int(.min), "-9223372036854775808"), (.int(.max), "9223372036854775807"),
              (.double(1.5), "1.5"), (.double(-0.25), "-0.25"), (.double(1e300), "1e+300"),
              (.double(.nan), "null"), (.double(.infinity), "null"), (.double(-.infinity), "null"),
          ] as [(WireValue, String)])
    func scalars(value: WireValue, json: String) {
        #expect(value.jsonText == json)
        #expect(value.prettyJSONText == json)
    }

    @Test("string escapes",
          arguments: [
              ("", #""""#),
              ("plain", #""plain""#),
              ("say \"hi\"", #""say \"hi\"""#),
              ("back\\slash", #""back\\slash""#),
              ("a/b", #""a/b""#),
              ("\n\r\t", #""\n\r\t""#),
              ("\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}", #""\u0000\u0001\u0008\u000b\u000c\u001f""#),
              ("\u{7F}", "\"\u{7F}\""),
              ("é 中 😀", "\"é 中 😀\""),
              ("\u{2028}", "\"\u{2028}\""),
          ])
    func escapes(text: String, json: String) {
        #expect(WireValue.string(text).jsonText == json)
    }

    @Test("every control character is escaped")
    func allControlCharacters() {
        for scalar in (0 ..< 0x20).map({ Unicode.Scalar(UInt8($0)) }) {
            let json = WireValue.string(String(scalar)).jsonText
            #expect(json.unicodeScalars.allSatisfy { $0.value >= 0x20 }, "U+\(scalar.value)")
            #expect(json.hasPrefix("\"\\"))
        }
    }

    @Test("bytes are written as a string, invalid UTF-8 repaired")
    func bytes() {
        #expect(WireValue.bytes(Array("ok\n".utf8)).jsonText == #""ok\n""#)
        #expect(WireValue.bytes([0x61, 0xFF, 0x62]).jsonText == "\"a\u{FFFD}b\"")
    }

    @Test("map keys are escaped, and order and repeats are kept")
    func mapKeys() {
        let value: WireValue = ["b\"": 1, "a\n": [], "b\"": [:]]
        #expect(value.jsonText == #"{"b\"":1,"a\n":[],"b\"":{}}"#)
    }

    @Test("compact nesting")
    func compact() {
        let value: WireValue = ["changed": false, "rc": 0, "stdout_lines": ["a", "b"], "empty": [], "none": nil]
        #expect(value.jsonText == #"{"changed":false,"rc":0,"stdout_lines":["a","b"],"empty":[],"none":null}"#)
    }

    @Test("pretty text indents by four spaces, as Ansible does")
    func pretty() {
        let value: WireValue = ["ping": "pong", "list": [1, [:], ["x": nil]], "empty": []]
        let expected = """
            {
                "ping": "pong",
                "list": [
                    1,
                    {},
                    {
                        "x": null
                    }
                ],
                "empty": []
            }
            """
        #expect(value.prettyJSONText == expected)
    }
}
