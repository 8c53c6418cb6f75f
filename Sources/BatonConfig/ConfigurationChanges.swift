extension BatonConfiguration {
    /// The settings of this configuration that differ from `running`'s and that only a start puts in place: all but
    /// each endpoint's flow (`flow`, the file it names), the words and timers of its notices (`language`, `notices`,
    /// `handoverDefaults`) and its webchat's look and words (`channels.webchat`'s `subtitle`, `branding`,
    /// `userCanDelete` and `texts`), which a reload replaces. Named as in the config file (`server`,
    /// `endpoints.shop.handover`, `endpoints.new`), in the file's order; empty when only what a reload replaces changed.
    public func settingsNeedingARestart(running: BatonConfiguration) -> [String] {
        var changed: [String] = []
        func compare<T: Equatable>(_ name: String, _ path: KeyPath<BatonConfiguration, T>) {
            if self[keyPath: path] != running[keyPath: path] { changed.append(name) }
        }
        compare("server", \.server)
        compare("storage", \.storage)
        compare("log", \.log)
        compare("admin", \.admin)
        compare("limits", \.limits)
        compare("delivery", \.delivery)
        compare("retention", \.retention)
        compare("tracing", \.tracing)
        for name in Set(bots.keys).union(running.bots.keys).sorted() where bots[name] != running.bots[name] {
            changed.append("bots.\(name)")
        }
        let before = Dictionary(running.endpoints.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Set(endpoints.map(\.id))
        for endpoint in endpoints {
            guard let old = before[endpoint.id] else {
                changed.append("endpoints.\(endpoint.id)")
                continue
            }
            changed += endpoint.settingsNeedingARestart(running: old).map { "endpoints.\(endpoint.id).\($0)" }
        }
        changed += running.endpoints.map(\.id).filter { !now.contains($0) }.map { "endpoints.\($0)" }
        return changed
    }
}

extension EndpointConfiguration {
    /// As ``BatonConfiguration/settingsNeedingARestart(running:)``, for one endpoint (names relative to it).
    func settingsNeedingARestart(running: EndpointConfiguration) -> [String] {
        var changed: [String] = []
        if name != running.name { changed.append("name") }
        if urlToken != running.urlToken { changed.append("urlToken") }
        // A reload puts the webchat's look and words in place; its routes and its users' identities stay.
        if webchat.enabled != running.webchat.enabled || webchat.identitySecret != running.webchat.identitySecret { changed.append("channels.webchat") }
        if rest != running.rest { changed.append("channels.rest") }
        if chatwoot != running.chatwoot { changed.append("channels.chatwoot") }
        if handover != running.handover { changed.append("handover") }
        return changed
    }
}
