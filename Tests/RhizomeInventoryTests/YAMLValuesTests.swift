import Testing
@testable import RhizomeInventory

/// Plain YAML scalars typed as PyYAML (YAML 1.1) types them.
@Suite struct YAMLValuesTests {
    static let cases: [(String, InventoryValue)] = [
        ("yes", .bool(true)), ("No", .bool(false)), ("ON", .bool(true)), ("off", .bool(false)), ("y", .string("y")),
        ("", .null), ("~", .null), ("null", .null), ("Null", .null), ("nil", .string("nil")),
        ("42", .int(42)), ("-0", .int(0)), ("010", .int(8)), ("0x1F", .int(31)), ("0b11", .int(3)),
        ("1:30", .int(90)), ("-1:30", .int(-90)), ("1_000", .int(1000)), ("+12", .int(12)), ("09", .string("09")),
        ("1.5", .double(1.5)), ("1e3", .string("1e3")), ("1.0e+3", .double(1000)), ("1.0e3", .string("1.0e3")),
        (".5", .double(0.5)), ("-.5", .string("-.5")), ("1.", .double(1)), (".inf", .double(.infinity)),
        ("-.Inf", .double(-.infinity)), ("1:30.5", .double(90.5)), ("1.2.3", .string("1.2.3")),
        ("2001-12-14", .string("2001-12-14")), ("2001-1-2", .string("2001-1-2")),
        ("2001-12-14t21:59:43.10-05:00", .string("2001-12-14T21:59:43.100000-05:00")),
        ("2001-12-14 21:59:43", .string("2001-12-14T21:59:43")), ("2001-12-14T21:59:43Z", .string("2001-12-14T21:59:43+00:00")),
        ("10.0.0.1", .string("10.0.0.1")), ("0.0.0.0", .string("0.0.0.0")), ("12:30:00", .int(45000)),
    ]

    @Test(arguments: cases)
    func resolves(_ input: String, _ expected: InventoryValue) {
        #expect(YAMLValues.resolvePlain(input) == expected, "'\(input)'")
    }

    @Test func nanIsNaN() {
        guard case .double(let d) = YAMLValues.resolvePlain(".NaN") else {
            Issue.record("not a float")
            return
        }
        #expect(d.isNaN)
    }

    @Test func aliasBombIsAnError() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<7 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let root = try #require(try YAMLValues.compose(text, file: "bomb.yml"))
        var values = YAMLValues(file: "bomb.yml", maximumNodes: 100_000)
        #expect(throws: InventoryError.self) { try values.value(root) }
    }
}
