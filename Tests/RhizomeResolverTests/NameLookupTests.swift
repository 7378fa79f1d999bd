import RhizomeResolver
import Testing

@Suite struct NumericAddressTests {
    @Test(arguments: ["10.0.0.5", "198.18.2.21", "::1", "fe80::1", "2001:db8::17"])
    func numericAddressesNeedNoLookup(address: String) throws {
        let addresses = try #require(NameLookup.numeric(address, port: 2222))
        #expect(addresses.count == 1)
        #expect(addresses[0].numericHost == address)
    }

    @Test(arguments: ["web.lab", "localhost", "10.0.0.256", "[::1]", "", "1.2.3.4.5"])
    func namesAreNotNumeric(name: String) {
        #expect(NameLookup.numeric(name, port: 22) == nil)
    }
}
