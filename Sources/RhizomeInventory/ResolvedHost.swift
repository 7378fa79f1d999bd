/// A host as the mesh needs it: its name, merged variables, how to reach it and
/// the chain of hops in front of it.
public struct ResolvedHost: Sendable, Hashable {
    /// The inventory name (`web01.dc1`).
    public var name: String
    /// Merged variables, by Ansible precedence (all < parent group < child group < host < extra vars).
    public var vars: [String: InventoryValue]
    /// Groups the host belongs to, directly or through `children`, sorted; includes `all`.
    public var groups: [String]
    /// How to open the last link, the one that ends at this host.
    public var connection: ConnectionSpec
    /// The hops in front of the host, outermost first (the controller's first hop comes first).
    /// Empty for a host the controller reaches directly.
    public var hops: [Hop]

    public init(name: String, vars: [String: InventoryValue] = [:], groups: [String] = ["all"],
                connection: ConnectionSpec, hops: [Hop] = []) {
        self.name = name
        self.vars = vars
        self.groups = groups
        self.connection = connection
        self.hops = hops
    }
}

/// One hop in front of a host: either an inventory host or a bare `user@host:port`.
public struct Hop: Sendable, Hashable {
    /// The inventory name, or `user@host:port` for a bare hop.
    public var name: String
    /// How to reach the hop itself.
    public var connection: ConnectionSpec

    public init(name: String, connection: ConnectionSpec) {
        self.name = name
        self.connection = connection
    }
}

/// Everything needed to open one SSH link (or a local agent).
public struct ConnectionSpec: Sendable, Hashable {
    /// `ssh`, or `local`: an agent started as a local subprocess, without SSH.
    public enum Kind: String, Sendable, Hashable { case ssh, local }
    /// `relay`: an agent on the hop opens the next link; `tunnel`: the hop only forwards TCP.
    public enum ViaMode: String, Sendable, Hashable { case relay, tunnel }
    /// What to do with a host key that is not in known_hosts.
    public enum HostKeyChecking: String, Sendable, Hashable { case strict, acceptNew = "accept-new", off }

    /// `ansible_host`, or the inventory name.
    public var address: String
    /// `ansible_port`, or 22.
    public var port: Int
    /// `ansible_user`; nil means the controller's user name.
    public var user: String?
    /// `ansible_ssh_private_key_file` and ssh_config `IdentityFile`s, in order.
    public var identityFiles: [String]
    /// `rhizome_known_hosts` or ssh_config `UserKnownHostsFile`; nil means the default.
    public var knownHostsFile: String?
    /// `rhizome_host_key_checking` or ssh_config `StrictHostKeyChecking`; nil means the default.
    public var hostKeyChecking: HostKeyChecking?
    /// ssh_config `HostKeyAlias`: the name known_hosts is searched for, instead of `address`.
    public var hostKeyAlias: String?
    /// ssh_config `CheckHostIP`: also check the key recorded for the address connected to (OpenSSH's default: no).
    public var checkHostIP: Bool = false
    /// `rhizome_connect_timeout` or ssh_config `ConnectTimeout`, in seconds.
    public var connectTimeout: Double?
    /// `ansible_connection`.
    public var kind: Kind
    /// `rhizome_via_mode`: how the hop in front of this host forwards to it.
    public var viaMode: ViaMode
    /// `ansible_password` / `ansible_ssh_pass`. Never printed.
    public var password: String?
    /// `ansible_become`, `ansible_become_user`, `ansible_become_method`.
    public var become: Bool
    public var becomeUser: String?
    public var becomeMethod: String?
    /// `ansible_become_password` / `ansible_become_pass`. Never printed.
    public var becomePassword: String?
    /// `rhizome_target_cache`: the directory this host keeps its agent and
    /// payloads in between runs (an absolute path); nil keeps nothing.
    public var targetCache: String?
    /// `rhizome_target_cache_size`: bytes that directory may hold.
    public var targetCacheBytes: UInt64?

    public init(address: String, port: Int = 22, user: String? = nil, identityFiles: [String] = [],
                knownHostsFile: String? = nil, hostKeyChecking: HostKeyChecking? = nil,
                connectTimeout: Double? = nil, kind: Kind = .ssh, viaMode: ViaMode = .relay,
                password: String? = nil, become: Bool = false, becomeUser: String? = nil,
                becomeMethod: String? = nil, becomePassword: String? = nil,
                targetCache: String? = nil, targetCacheBytes: UInt64? = nil) {
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.knownHostsFile = knownHostsFile
        self.hostKeyChecking = hostKeyChecking
        self.connectTimeout = connectTimeout
        self.kind = kind
        self.viaMode = viaMode
        self.password = password
        self.become = become
        self.becomeUser = becomeUser
        self.becomeMethod = becomeMethod
        self.becomePassword = becomePassword
        self.targetCache = targetCache
        self.targetCacheBytes = targetCacheBytes
    }
}

/// A variable's value, typed as Ansible types it.
public indirect enum InventoryValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([InventoryValue])
    case map([String: InventoryValue])
}
