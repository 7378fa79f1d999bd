import RhizomeInventory

extension ControllerOptions {
    /// Where each selected host's agent keeps its files, and why a host's own
    /// `rhizome_target_cache` settings may not be the ones used.
    ///
    /// An agent on a link the controller opens (directly, or through a tunnel)
    /// gets its host's settings. An agent that a relay starts gets the relay's:
    /// the relay hands its own cache to the agents it starts. So a host behind a
    /// relay whose settings differ from the relay's is told about it, rather
    /// than having them dropped silently.
    public func targetCacheWarnings(for hosts: [ResolvedHost]) -> [String] {
        var warnings: [String] = []
        var seen: Set<String> = []
        for host in hosts {
            let steps = host.hops.map { ($0.name, $0.connection) } + [(host.name, host.connection)]
            var effective = targetCache(for: steps[0].1)
            var decidedBy = steps[0].0
            for (name, spec) in steps.dropFirst() {
                let own = targetCache(for: spec)
                if (viaModeOverride ?? spec.viaMode) == .tunnel {
                    effective = own
                    decidedBy = name
                    continue
                }
                let asked = spec.targetCache != nil || spec.targetCacheBytes != nil
                if asked, own?.directory != effective?.directory || own?.limit != effective?.limit, seen.insert(name).inserted {
                    let used = effective.map { "\($0.directory) (\($0.limit) bytes)" } ?? "none"
                    warnings.append("\(name): rhizome_target_cache settings are not used: the relay \(decidedBy) starts its agent "
                                        + "with its own target cache, which is \(used); set the same on \(decidedBy) "
                                        + "(a group variable does it for both), or use --target-cache")
                }
            }
        }
        return warnings
    }
}
