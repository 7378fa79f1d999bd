import Testing
@testable import RhizomeInventory

/// INI values go through `ast.literal_eval` in ansible-core 2.19; these are the answers Python gives.
@Suite struct PythonLiteralTests {
    static let cases: [(String, InventoryValue)] = [
        ("True", .bool(true)), ("False", .bool(false)), ("None", .null),
        ("yes", .string("yes")), ("true", .string("true")), ("no", .string("no")),
        ("42", .int(42)), ("-7", .int(-7)), ("+3", .int(3)), ("0x10", .int(16)), ("0o17", .int(15)),
        ("0b101", .int(5)), ("1_000", .int(1000)), ("00", .int(0)), ("010", .string("010")),
        ("1.5", .double(1.5)), ("1e3", .double(1000)), (".5", .double(0.5)), ("1.", .double(1)),
        ("-1.5", .double(-1.5)), ("1e999", .double(.infinity)),
        ("'a'", .string("a")), ("\"b\"", .string("b")), ("'a' 'b'", .string("ab")), ("''", .string("")),
        ("'a\\tb'", .string("a\tb")), ("r'a\\tb'", .string("a\\tb")), ("b'xy'", .string("xy")),
        ("u'x'", .string("x")), ("'\\x41\\u00e9'", .string("Aé")), ("'\\q'", .string("\\q")),
        ("[1, 'x', None]", .list([.int(1), .string("x"), .null])), ("(1,)", .list([.int(1)])),
        ("()", .list([])), ("1, 2", .list([.int(1), .int(2)])), ("{}", .map([:])),
        ("{'a': 1, 'a': 2}", .map(["a": .int(2)])), ("{1: 'x', None: 'y'}", .map(["1": .string("x"), "null": .string("y")])),
        ("set()", .list([])), ("...", .string("...")), ("2j", .string("2j")), ("1+2j", .string("(1+2j)")),
        ("1-2j", .string("(1-2j)")), ("-1j", .string("(-0-1j)")), ("-True", .int(-1)),
        ("5 # comment", .int(5)), ("  7", .int(7)), ("True#x", .bool(true)), ("None ", .null),
        ("1+1", .string("1+1")), ("hello world", .string("hello world")), ("a=b", .string("a=b")),
        ("f'x'", .string("f'x'")), ("[1, 2", .string("[1, 2")), ("'unterminated", .string("'unterminated")),
        ("x", .string("x")), ("1x", .string("1x")), ("0777", .string("0777")), ("[[[]]]", .list([.list([.list([])])])),
        ("{[1]: 2}", .string("{[1]: 2}")), ("-'a'", .string("-'a'")), ("'a' b'c'", .string("'a' b'c'")),
        ("", .string("")),
    ]

    @Test(arguments: cases)
    func evaluates(_ input: String, _ expected: InventoryValue) {
        #expect(INIInventoryParser.value(input) == expected, "literal_eval(\(input))")
    }

    @Test func deepNestingIsText() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(INIInventoryParser.value(deep) == .string(deep))
    }

    @Test func floatRepr() {
        #expect(JSONWriter.pythonFloat(1000) == "1000.0")
        #expect(JSONWriter.pythonFloat(1e16) == "1e+16")
        #expect(JSONWriter.pythonFloat(1.5e-5) == "1.5e-05")
        #expect(JSONWriter.pythonFloat(0.0001) == "0.0001")
        #expect(JSONWriter.pythonFloat(123456789.125) == "123456789.125")
        #expect(JSONWriter.pythonFloat(-0.0) == "-0.0")
        #expect(JSONWriter.pythonFloat(1e15) == "1000000000000000.0")
    }
}
