// swift-tools-version:6.0
import PackageDescription

// Layering (arrows point one way):
//
//   CLibSSH2 CLZ4 CCrypto CZlib CAres    system libraries + shims
//   RhizomeWire                          frames and messages (pure Swift, no I/O)
//   RhizomeIO                            syscalls, poll event loop, child processes
//   RhizomeStore                         digests and compression of payloads
//   RhizomeResolver                      host names to addresses (c-ares on relays)
//   RhizomeSSH                           libssh2 sessions, channels, known_hosts, auth
//   RhizomeMesh                          links, routing, bootstrap of agents
//   RhizomeModules                       modules that run inside the agent
//   RhizomeAgent                         the agent's runtime
//   RhizomeInventory                     inventories, host patterns, hop chains
//   RhizomeTopology                      the tree as a graph, report overlay, text renderers
//   RhizomeController                    connects the tree, dispatches tasks, gathers results
//   RhizomeCLI                           argument-parser commands only
//   rhizome, rhizome-agent               thin entry points
//
// Everything the agent links is Foundation-free: the agent is a static binary
// with a 12 MB budget, and Foundation alone would cost 7.5–44 MB.

let package = Package(
    name: "rhizome",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rhizome", targets: ["rhizome"]),
        .executable(name: "rhizome-agent", targets: ["rhizome-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: System libraries

        /// libssh2, with static inline wrappers for the macros Swift cannot import.
        .systemLibrary(name: "CLibSSH2", pkgConfig: "libssh2", providers: [.apt(["libssh2-1-dev"])]),
        /// liblz4 block compression for payloads in transit.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        /// libcrypto's SHA-256 (already linked by libssh2).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        /// zlib, for gzip-compressing the agent image before bootstrap.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        /// c-ares, the resolver relays use: static glibc cannot load NSS modules.
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),

        /// GNU extensions of glibc that Swift's Glibc module does not import.
        .target(name: "CRhizomeSystem"),

        // MARK: Libraries

        /// Frames, messages and their codec. Pure Swift: no I/O, no dependencies.
        .target(name: "RhizomeWire"),
        /// Thin syscall layer, the poll(2) event loop and child process spawning.
        .target(name: "RhizomeIO", dependencies: ["CRhizomeSystem"]),
        /// Content addressing: SHA-256, LZ4 and gzip.
        .target(name: "RhizomeStore", dependencies: ["CCrypto", "CLZ4", "CZlib", "RhizomeIO"]),
        /// Host names to addresses where a connection starts: getaddrinfo on the controller, c-ares on relays.
        .target(name: "RhizomeResolver", dependencies: ["CAres", "RhizomeIO"]),
        /// libssh2 sessions and channels, known_hosts policies, authentication.
        .target(name: "RhizomeSSH", dependencies: ["CLibSSH2", "RhizomeIO", "RhizomeStore", "RhizomeResolver"]),
        /// Node runtime: framed links, routing, agent bootstrap over SSH.
        .target(
            name: "RhizomeMesh",
            dependencies: ["RhizomeWire", "RhizomeIO", "RhizomeStore", "RhizomeResolver", "RhizomeSSH"]
        ),
        /// Built-in modules that run inside the agent: command, shell, ping, copy, and external modules.
        .target(name: "RhizomeModules", dependencies: ["RhizomeWire", "RhizomeIO", "RhizomeStore"]),
        /// The agent: start-up, handshake with its parent, task execution.
        .target(
            name: "RhizomeAgent",
            dependencies: ["RhizomeMesh", "RhizomeModules", "RhizomeWire", "RhizomeIO", "RhizomeStore"]
        ),
        /// Ansible-compatible inventories, host patterns and hop chains.
        .target(name: "RhizomeInventory", dependencies: ["Yams"]),
        /// The topology graph (hops, hosts, run report figures) and its text renderers.
        .target(name: "RhizomeTopology", dependencies: ["RhizomeInventory"]),
        /// Brings up agents on the selected hosts, dispatches tasks, gathers results.
        .target(
            name: "RhizomeController",
            dependencies: [
                "RhizomeMesh", "RhizomeWire", "RhizomeSSH", "RhizomeStore", "RhizomeIO", "RhizomeInventory", "RhizomeModules",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The `rhizome` command line: argument parsing and output formatting only.
        .target(
            name: "RhizomeCLI",
            dependencies: [
                "RhizomeController", "RhizomeInventory", "RhizomeTopology", "RhizomeWire", "RhizomeSSH",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Executables

        /// The controller's entry point.
        .executableTarget(name: "rhizome", dependencies: ["RhizomeCLI"]),
        /// The agent's entry point. Built fully static for targets (see Makefile).
        .executableTarget(name: "rhizome-agent", dependencies: ["RhizomeAgent"]),

        /// Connect/bootstrap and round-trip figures against the lab (see bench/).
        .executableTarget(
            name: "rhizome-bench",
            dependencies: [
                "RhizomeController", "RhizomeInventory", "RhizomeMesh", "RhizomeWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/rhizome-bench"
        ),

        // MARK: Tests

        /// FuzzFindings/ holds raw inputs that FuzzFindingsTests reads from the source tree.
        .testTarget(name: "RhizomeWireTests", dependencies: ["RhizomeWire"], exclude: ["FuzzFindings"]),
        .testTarget(name: "RhizomeIOTests", dependencies: ["RhizomeIO"]),
        .testTarget(name: "RhizomeStoreTests", dependencies: ["RhizomeStore"]),
        .testTarget(name: "RhizomeResolverTests", dependencies: ["RhizomeResolver"]),
        .testTarget(name: "RhizomeSSHTests", dependencies: ["RhizomeSSH"]),
        .testTarget(name: "RhizomeMeshTests", dependencies: ["RhizomeMesh", "RhizomeSSH", "RhizomeWire"]),
        .testTarget(name: "RhizomeModulesTests", dependencies: ["RhizomeModules", "RhizomeWire", "RhizomeIO", "RhizomeStore"]),
        .testTarget(name: "RhizomeInventoryTests", dependencies: ["RhizomeInventory"], resources: [.copy("Corpus")]),
        .testTarget(name: "RhizomeTopologyTests", dependencies: ["RhizomeTopology", "RhizomeInventory"], resources: [.copy("Golden")]),
        .testTarget(name: "RhizomeCLITests", dependencies: ["RhizomeCLI", "RhizomeController", "RhizomeMesh", "RhizomeTopology"]),
        /// End-to-end tests against real sshd servers in the lab's network namespaces.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["RhizomeController", "RhizomeInventory", "RhizomeSSH", "RhizomeWire", "RhizomeStore", "RhizomeMesh", "RhizomeIO"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// Targets linked into the static agent. They do without the implicitly
/// imported _StringProcessing module (regex support), which costs the agent ~1 MB.
let agentTargets: Set<String> = [
    "RhizomeWire", "RhizomeIO", "RhizomeStore", "RhizomeResolver", "RhizomeSSH", "RhizomeMesh", "RhizomeModules", "RhizomeAgent",
    "rhizome-agent",
]

for target in package.targets where target.type != .system && target.name != "CRhizomeSystem" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    if agentTargets.contains(target.name) {
        settings.append(.unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]))
    }
    target.swiftSettings = settings
}
