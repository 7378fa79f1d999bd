import RhizomeInventory

/// Inventory settings that are parsed but not applied yet. A host that asks
/// for one fails on its own, before anything connects, rather than running
/// its task in a way the inventory did not ask for.
public enum UnsupportedSettings {
    /// Why `host` cannot run a task as its inventory says, or nil when it can.
    public static func reason(for host: ResolvedHost) -> String? {
        guard host.connection.become else { return nil }
        let user = host.connection.becomeUser.map { " as \($0)" } ?? ""
        let login = host.connection.user.map { " (\($0))" } ?? ""
        return "ansible_become is set for \(host.name) (from the inventory or -e): become is not supported yet, "
            + "and the task would run as the login user\(login) instead of\(user.isEmpty ? " root" : user); "
            + "set ansible_become=false for this host, or log in as the user the task needs"
    }
}
