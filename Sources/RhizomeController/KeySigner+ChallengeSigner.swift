/// The controller's key signer answers relays' signature requests.
extension KeySigner: ChallengeSigner {
    public var offeredKeys: [(blob: [UInt8], label: String)] {
        identities.map { ($0.blob, $0.label) }
    }

    public func sign(publicKey: [UInt8], data: [UInt8]) throws -> [UInt8] {
        try sign(blob: publicKey, data: data)
    }
}
