/// Fetches payloads (files, external modules) from the node's payload store.
public protocol PayloadFetcher: AnyObject {
    /// Streams the payload named by `digest` to `receive`, in order, then calls
    /// `finished` once: with nil when every byte arrived and the SHA-256 was
    /// checked, with the reason otherwise. Loop thread only.
    func fetchPayload(_ digest: [UInt8], receive: @escaping ([UInt8]) -> Void, finished: @escaping (String?) -> Void)
}

/// What modules may use of the agent around them.
public struct ModuleContext {
    /// Where payloads come from; nil where there are none (modules that need
    /// one then fail clearly).
    public var payloads: (any PayloadFetcher)?
    /// A directory this agent may write and execute in (external modules go there).
    public var workDirectory: String

    public init(payloads: (any PayloadFetcher)? = nil, workDirectory: String = "/tmp") {
        self.payloads = payloads
        self.workDirectory = workDirectory
    }
}
