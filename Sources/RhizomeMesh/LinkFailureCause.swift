import RhizomeSSH

/// Why a link could not be set up or was lost, in a few words a user acts on:
/// what `rhizome topology --probe` shows at the hop where it happened.
public enum LinkFailureCause: String, Sendable, Hashable, CaseIterable {
    case hostKeyMismatch = "host key mismatch"
    case hostKeyUnknown = "host key unknown"
    case authRefused = "auth refused"
    case timeout
    case noRoute = "no route"
    case connectionRefused = "connection refused"
    case nameNotResolved = "name not resolved"
    case handshake = "handshake failed"
    case bootstrap = "bootstrap failed"
    case linkLost = "link lost"
    case other

    /// The cause of a failure known only by the step it happened in (a
    /// `ChildDown` from a relay that did not say more).
    public init(phase: String) {
        switch phase {
        case LinkSetupError.Phase.authentication.rawValue: self = .authRefused
        case LinkSetupError.Phase.bootstrap.rawValue: self = .bootstrap
        case "link": self = .linkLost
        default: self = .other
        }
    }
}

extension LinkSetupError {
    /// What went wrong, from the SSH error code where there is one, else from the step.
    public var cause: LinkFailureCause {
        switch code {
        case .timeout?: return .timeout
        case .refused?: return .connectionRefused
        case .noRoute?: return .noRoute
        case .resolve?: return .nameNotResolved
        case .handshake?: return .handshake
        case .hostKeyMismatch?: return .hostKeyMismatch
        case .hostKeyUnknown?: return .hostKeyUnknown
        case .authentication?: return .authRefused
        case .connect?, .channel?, .closed?, .library?, nil:
            switch phase {
            case .connect: return .other
            case .hostKey: return .other
            case .authentication: return .authRefused
            case .bootstrap: return .bootstrap
            }
        }
    }
}
