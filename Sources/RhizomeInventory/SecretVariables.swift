/// Which variables hold secrets, and how `rhizome inventory` hides them.
///
/// The rule is by name, at any depth of a mapping, compared without case: the
/// connection passwords Ansible knows (`ansible_password`, `ansible_ssh_pass`,
/// `ansible_become_password`, `ansible_sudo_pass`, …) and any name that is, or
/// ends in `_` followed by, `password`, `passwd`, `pass`, `passphrase`,
/// `secret`, `token`, `api_key`, `secret_key` or `private_key` (a name ending
/// in `_file`, like `ansible_ssh_private_key_file`, is a path and stays shown). Values are replaced whole, whatever their
/// type, so neither a text nor the shape of a structure leaks.
public enum SecretVariables {
    /// What a hidden value prints as.
    public static let mask = "********"

    /// Words that make a variable name secret, alone or after `_`.
    static let words = [
        "password", "passwd", "pass", "passphrase", "secret", "token", "api_key", "secret_key", "private_key",
    ]

    /// Whether a variable named `name` holds a secret.
    public static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return words.contains { lowered == $0 || lowered.hasSuffix("_" + $0) }
    }
}

extension InventoryValue {
    /// The value with every secret (by `SecretVariables.isSecret`) replaced by
    /// `SecretVariables.mask`, at every level.
    public func maskingSecrets() -> InventoryValue {
        switch self {
        case .map(let m):
            var masked: [String: InventoryValue] = [:]
            for (key, value) in m {
                masked[key] = SecretVariables.isSecret(key) ? .string(SecretVariables.mask) : value.maskingSecrets()
            }
            return .map(masked)
        case .list(let items):
            return .list(items.map { $0.maskingSecrets() })
        default:
            return self
        }
    }
}
