import BatonCore
import Foundation
import Yams

/// The server-wide sections: `server`, `storage`, `log`, `admin`, `limits`, `delivery`, `retention`.
extension ConfigLoader {
    func readServer(_ value: YAMLValue, _ sink: DiagnosticSink) -> ServerSettings {
        var settings = ServerSettings()
        guard !value.isNull || hasAnyOverride(under: value.path) else { return settings }
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["host", "port", "publicURL", "maxConnections", "maxInFlightRequests", "idleTimeoutSeconds", "eventLoops", "trustedProxies"], sink)
        guard let members else { return settings }
        if members.has("host"), let host = members["host"].string(sink) { settings.host = host }
        if members.has("port"), let port = members["port"].int(sink, range: 0...65535) { settings.port = port }
        if members.has("maxConnections"), let cap = members["maxConnections"].int(sink, range: 1...1_000_000) { settings.maxConnections = cap }
        if members.has("maxInFlightRequests"), let cap = members["maxInFlightRequests"].int(sink, range: 1...1_000_000) { settings.maxInFlightRequests = cap }
        if members.has("idleTimeoutSeconds"), let seconds = members["idleTimeoutSeconds"].int(sink, range: 1...3_600) { settings.idleTimeoutSeconds = seconds }
        if members.has("eventLoops"), let loops = members["eventLoops"].int(sink, range: 1...1_024) { settings.eventLoops = loops }
        if members.has("trustedProxies"), let ranges = members["trustedProxies"].sequence(sink) {
            settings.trustedProxies = ranges.compactMap { item in
                guard let text = item.string(sink) else { return nil }
                guard let range = AddressRange(text) else {
                    sink.error(item, "'\(text)' is not an address or a range of addresses (such as 10.0.0.0/8 or 2001:db8::/32)")
                    return nil
                }
                return range
            }
        }
        if members.has("publicURL"), let url = members["publicURL"].string(sink) {
            if Attachment.isWebURL(url) { settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url } else {
                sink.error(members["publicURL"], "must be an http(s) URL, found '\(url)'")
            }
        }
        return settings
    }

    func readStorage(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> StorageSettings {
        var settings = StorageSettings(sqlitePath: Self.resolve("data/baton.sqlite", against: baseDirectory))
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["sqlite", "postgres"], sink)
        guard let members else { return settings }
        let sqlite = members["sqlite"]
        let sqliteMembers = sqlite.isNull ? YAMLMapping(owner: sqlite, members: []) : sqlite.mapping(allowed: ["path", "syncEachCommit", "backups"], sink)
        if let sqliteMembers, sqliteMembers.has("path"), let path = sqliteMembers["path"].string(sink) {
            settings.sqlitePath = Self.resolve(path, against: baseDirectory)
        }
        if let sqliteMembers, sqliteMembers.has("syncEachCommit"), let syncs = sqliteMembers["syncEachCommit"].bool(sink) {
            settings.sqliteSyncsEachCommit = syncs
        }
        // The environment alone may ask for them too (BATON_STORAGE_SQLITE_BACKUPS_FOLDER).
        if let sqliteMembers, sqliteMembers.has("backups") || hasAnyOverride(under: sqliteMembers["backups"].path) {
            settings.sqliteBackups = readSQLiteBackups(sqliteMembers["backups"], baseDirectory: baseDirectory, sink)
        }
        let postgres = members["postgres"]
        // The environment alone may choose PostgreSQL (BATON_STORAGE_POSTGRES_URL), whatever engine the file names.
        guard members.members.contains(where: { $0.0 == "postgres" }) || hasAnyOverride(under: postgres.path) else { return settings }
        if members.members.contains(where: { $0.0 == "sqlite" }), members.members.contains(where: { $0.0 == "postgres" }) {
            sink.error(postgres, "set either 'sqlite' or 'postgres', not both")
            return settings
        }
        settings.postgres = readPostgres(postgres, baseDirectory: baseDirectory, sink)
        // Reached when the environment chose PostgreSQL (BATON_STORAGE_POSTGRES_URL) for a file that names SQLite.
        if settings.postgres != nil, settings.sqliteBackups != nil, let sqliteMembers {
            sink.error(sqliteMembers["backups"], "backups are of the SQLite database, and this configuration uses PostgreSQL: back it up with PostgreSQL's own tools (pg_dump)")
        }
        return settings
    }

    /// `storage.sqlite.backups`: `folder` (required), `everyHours` (24), `keep` (7).
    func readSQLiteBackups(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> SQLiteBackupSettings? {
        let mapping = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["folder", "everyHours", "keep"], sink)
        guard let members = mapping, let folder = members.required("folder", sink)?.string(sink) else { return nil }
        var settings = SQLiteBackupSettings(folder: Self.resolve(folder, against: baseDirectory))
        if members.has("everyHours"), let hours = members["everyHours"].int(sink, range: 1...8_760) { settings.everyHours = hours }
        if members.has("keep"), let keep = members["keep"].int(sink, range: 1...10_000) { settings.keep = keep }
        return settings
    }

    /// `storage.postgres`: `url` or `urlFile` (the URL holds a password, so it is read as a secret), `maxConnections`,
    /// and `listenURL` or `listenURLFile` (straight to PostgreSQL when `url` goes through PgBouncer in transaction mode).
    func readPostgres(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> PostgresStorageSettings? {
        if case .scalar? = value.node, !value.isNull {
            // Not "found the value '…'": the value is most likely the URL, password included.
            sink.error(value, "expected a mapping (url: postgres://…), found a single value")
            return nil
        }
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["url", "urlFile", "maxConnections", "listenURL", "listenURLFile"], sink)
        guard let members else { return nil }
        var maxConnections = 20
        if members.has("maxConnections"), let count = members["maxConnections"].int(sink, range: 1...1000) { maxConnections = count }
        guard members.has("url") || members.has("urlFile") else {
            sink.error(value, "missing required key 'url' (or 'urlFile'): postgres://user:password@host:port/database")
            return nil
        }
        guard let url = readSecret("url", in: members, baseDirectory: baseDirectory, sink), !url.value.isEmpty else { return nil }
        var settings: PostgresStorageSettings
        do {
            settings = try PostgresStorageSettings(url: url.value, maxConnections: maxConnections)
        } catch {
            let source = members.has("url") ? members["url"] : members["urlFile"]
            // The message never quotes the URL: it holds the password.
            sink.error(source, "\(error.message)\(source.overrideNote)")
            return nil
        }
        if members.has("listenURL") || members.has("listenURLFile") {
            guard let listenURL = readSecret("listenURL", in: members, baseDirectory: baseDirectory, sink), !listenURL.value.isEmpty else { return nil }
            settings.listenURL = listenURL
            do {
                _ = try settings.listenerSettings()
            } catch {
                let source = members.has("listenURL") ? members["listenURL"] : members["listenURLFile"]
                sink.error(source, "\(error.message)\(source.overrideNote)")
                return nil
            }
        }
        return settings
    }

    func readLog(_ value: YAMLValue, _ sink: DiagnosticSink) -> LogSettings {
        var settings = LogSettings()
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["level", "format"], sink)
        if let members, members.has("level"), let level = members["level"].string(sink) {
            if LogSettings.levels.contains(level) { settings.level = level } else {
                sink.error(members["level"], "unknown log level '\(level)'; use one of \(LogSettings.levels.joined(separator: ", "))")
            }
        }
        if let members, members.has("format"), let name = members["format"].string(sink) {
            if let format = LogFormat(rawValue: name) { settings.format = format } else {
                sink.error(members["format"], "unknown log format '\(name)'; use text or json")
            }
        }
        return settings
    }

    func readTracing(_ value: YAMLValue, _ sink: DiagnosticSink) -> TracingSettings {
        var settings = TracingSettings()
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["enabled", "endpoint", "protocol", "serviceName"], sink)
        guard let members else { return settings }
        if members.has("enabled") { settings.enabled = members["enabled"].bool(sink) ?? false }
        if members.has("endpoint"), let endpoint = members["endpoint"].string(sink) {
            if Attachment.isWebURL(endpoint) { settings.endpoint = endpoint } else {
                sink.error(members["endpoint"], "the collector's OTLP/HTTP URL, such as http://otel-collector:4318, found '\(endpoint)'")
            }
        }
        if members.has("protocol"), let name = members["protocol"].string(sink) {
            if let encoding = TracingEncoding(rawValue: name) { settings.encoding = encoding } else {
                sink.error(members["protocol"], "unknown protocol '\(name)'; use http/protobuf or http/json")
            }
        }
        if members.has("serviceName"), let name = members["serviceName"].string(sink), !name.isEmpty { settings.serviceName = name }
        return settings
    }

    func readAdmin(_ value: YAMLValue, baseDirectory: String, _ sink: DiagnosticSink) -> AdminSettings {
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["token", "tokenFile"], sink)
        guard let members else { return AdminSettings() }
        let token = readSecret("token", in: members, baseDirectory: baseDirectory, sink)
        if let token, token.value.count < 16 { sink.error(members["token"], "the admin token must have at least 16 characters") }
        return AdminSettings(token: token)
    }

    func readLimits(_ value: YAMLValue, _ sink: DiagnosticSink) -> LimitSettings {
        var settings = LimitSettings()
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["messagesPerMinute", "newConversationsPerMinute", "maxMessageLength", "maxFileBytes"], sink)
        guard let members else { return settings }
        if members.has("messagesPerMinute"), let rate = members["messagesPerMinute"].int(sink, range: 1...100_000) { settings.messagesPerMinute = rate }
        if members.has("newConversationsPerMinute"), let rate = members["newConversationsPerMinute"].int(sink, range: 0...100_000) {
            settings.newConversationsPerMinute = rate
        }
        if members.has("maxMessageLength"), let length = members["maxMessageLength"].int(sink, range: 1...150_000) { settings.maxMessageLength = length }
        if members.has("maxFileBytes"), let bytes = members["maxFileBytes"].int(sink, range: 1...(40 * 1024 * 1024)) { settings.maxFileBytes = bytes }
        return settings
    }

    func readRetention(_ value: YAMLValue, _ sink: DiagnosticSink) -> RetentionSettings {
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: ["idleSessionDays", "messageDays"], sink)
        guard let members else { return RetentionSettings() }
        // At least a day: a user who pauses for hours comes back to their conversation.
        return RetentionSettings(
            idleSessionDays: members.has("idleSessionDays") ? members["idleSessionDays"].int(sink, range: 1...36_500) : nil,
            messageDays: members.has("messageDays") ? members["messageDays"].int(sink, range: 1...36_500) : nil)
    }

    func readDelivery(_ value: YAMLValue, _ sink: DiagnosticSink) -> DeliverySettings {
        var settings = DeliverySettings()
        let keys = ["giveUpAfterSeconds", "openGiveUpAfterSeconds", "requestTimeoutSeconds", "leaseSeconds", "startupReconcileDelaySeconds"]
        let members = value.isNull ? YAMLMapping(owner: value, members: []) : value.mapping(allowed: keys, sink)
        guard let members else { return settings }
        if members.has(keys[0]), let seconds = members[keys[0]].int(sink, range: 1...604_800) { settings.giveUpAfterSeconds = seconds }
        if members.has(keys[1]), let seconds = members[keys[1]].int(sink, range: 1...86_400) { settings.openGiveUpAfterSeconds = seconds }
        if members.has(keys[2]), let timeout = members[keys[2]].int(sink, range: 1...120) { settings.requestTimeoutSeconds = timeout }
        // Renewed every third of it while a job runs, so it need not outlast the job's calls: it only bounds how long
        // a dead instance's jobs wait for another instance.
        if members.has(keys[3]), let lease = members[keys[3]].int(sink, range: 2...3_600) { settings.leaseSeconds = lease }
        if members.has(keys[4]), let delay = members[keys[4]].int(sink, range: 0...600) { settings.startupReconcileDelaySeconds = delay }
        return settings
    }
}
