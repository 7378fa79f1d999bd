/// The controller's key signer answers relays' signature requests.
extension KeySigner: ChallengeSigner {
    public var offeredKeys: [(blob: [UInt8], label: String)] { offers }

    public func sign(publicKey: [UInt8], data: [UInt8]) throws -> [UInt8] {
        try sign(blob: publicKey, data: data)
    }
}
