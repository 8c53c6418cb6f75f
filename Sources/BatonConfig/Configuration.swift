public import BatonCore

/// A secret setting (API token, webhook secret). Its description never shows the value, so it cannot leak
/// through logs, errors or string interpolation by accident.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself; read it only where it is used.
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Baton's whole configuration, read from one YAML file plus environment overrides.
public struct BatonConfiguration: Sendable {
    public var server: ServerSettings
    public var storage: StorageSettings
    public var log: LogSettings
    public var admin: AdminSettings
    public var limits: LimitSettings
    public var delivery: DeliverySettings
    /// How long sessions are kept (forever unless set).
    public var retention = RetentionSettings()
    public var endpoints: [EndpointConfiguration]
    /// The outside bots flows' `bot` nodes name, by name.
    public var bots: [String: BotSettings]
    /// OpenTelemetry traces (off unless enabled).
    public var tracing = TracingSettings()
    /// The file it was read from (`nil` for the built-in demo).
    public var sourceFile: String?

    public init(
        server: ServerSettings, storage: StorageSettings, log: LogSettings, admin: AdminSettings = AdminSettings(), limits: LimitSettings = LimitSettings(),
        delivery: DeliverySettings = DeliverySettings(), endpoints: [EndpointConfiguration], bots: [String: BotSettings] = [:], sourceFile: String?
    ) {
        self.bots = bots
        self.server = server
        self.storage = storage
        self.log = log
        self.admin = admin
        self.limits = limits
        self.delivery = delivery
        self.endpoints = endpoints
        self.sourceFile = sourceFile
    }
}

/// OpenTelemetry traces, sent with OTLP over HTTP to a collector (Jaeger, Tempo, Honeycomb, an OpenTelemetry
/// Collector). The `OTEL_*` variables of OpenTelemetry's specification override these (`OTEL_EXPORTER_OTLP_ENDPOINT`,
/// `OTEL_TRACES_SAMPLER`, `OTEL_BSP_SCHEDULE_DELAY`…).
public struct TracingSettings: Sendable, Hashable {
    public var enabled = false
    /// The collector's OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`.
    public var endpoint = "http://127.0.0.1:4318"
    /// `http/protobuf` (the default) or `http/json`.
    public var encoding: TracingEncoding = .protobuf
    /// The `service.name` of every span.
    public var serviceName = "baton"
    public init() {}
}

public enum TracingEncoding: String, Sendable, Hashable, CaseIterable {
    case protobuf = "http/protobuf"
    case json = "http/json"
}

/// The operators' API (`/admin/…`): off unless a token is set.
public struct AdminSettings: Sendable, Hashable {
    /// Sent as `Authorization: Bearer <token>`.
    public var token: Secret?
    public init(token: Secret? = nil) { self.token = token }
}

/// What one user may send, so no session can flood the bot, the store or the agents.
public struct LimitSettings: Sendable, Hashable {
    /// User messages per session per minute (a burst of up to a quarter of it, at least 5, is allowed at once).
    public var messagesPerMinute: Int
    /// New conversations a client (an address, see `ServerSettings.trustedProxies`) may start per minute on the
    /// webchat and the REST channel without its API key, all at once if it likes; 0: no limit. Requests from a
    /// trusted proxy that names no client (the machine itself, say) are not counted.
    public var newConversationsPerMinute: Int
    /// Characters per user message.
    public var maxMessageLength: Int
    /// Bytes per file a user sends the agents (Chatwoot's own default upload limit is 40 MB).
    public var maxFileBytes: Int
    public init(messagesPerMinute: Int = 60, newConversationsPerMinute: Int = 30, maxMessageLength: Int = 4_000, maxFileBytes: Int = 10 * 1024 * 1024) {
        self.messagesPerMinute = messagesPerMinute
        self.newConversationsPerMinute = newConversationsPerMinute
        self.maxMessageLength = maxMessageLength
        self.maxFileBytes = maxFileBytes
    }
}

/// How provider work (Chatwoot calls) is retried before it is given up and dead-lettered.
public struct DeliverySettings: Sendable, Hashable {
    /// Seconds after which a message or close that keeps failing is given up.
    public var giveUpAfterSeconds: Int
    /// Seconds after which opening a handover that keeps failing is given up (the user is waiting).
    public var openGiveUpAfterSeconds: Int
    /// Seconds to wait for one Chatwoot answer.
    public var requestTimeoutSeconds: Int
    /// Seconds a claimed outbox job is reserved for the instance that claimed it, renewed every third of it while the
    /// job runs: a job whose instance died is taken over by another once it runs out.
    public var leaseSeconds: Int
    /// Seconds instances sharing a PostgreSQL store wait after starting before they read the desk for what agents
    /// wrote while Baton was down: instances that start within it of each other share that reading.
    public var startupReconcileDelaySeconds: Int
    public init(
        giveUpAfterSeconds: Int = 900, openGiveUpAfterSeconds: Int = 120, requestTimeoutSeconds: Int = 10, leaseSeconds: Int = 4,
        startupReconcileDelaySeconds: Int = 2
    ) {
        self.giveUpAfterSeconds = giveUpAfterSeconds
        self.openGiveUpAfterSeconds = openGiveUpAfterSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.leaseSeconds = leaseSeconds
        self.startupReconcileDelaySeconds = startupReconcileDelaySeconds
    }
}

/// How long Baton keeps what users said. Chatwoot keeps its own copy of every handover's conversation; this is
/// Baton's: sessions, their messages and the files users sent.
public struct RetentionSettings: Sendable, Hashable {
    /// Days after which a session nobody wrote to (no message, no handover event) is deleted with its messages and
    /// files, once nothing of it is left to do (no handover opening or active, nothing waiting to be sent). `nil`:
    /// kept until an operator deletes it.
    public var idleSessionDays: Int?
    /// Days after which a message, and a file the user uploaded, is deleted from a session still in use, once
    /// nothing of the session is in progress; the session itself stays (its user, profile and flow context).
    /// `nil`: messages are kept as long as their session.
    public var messageDays: Int?

    public init(idleSessionDays: Int? = nil, messageDays: Int? = nil) {
        self.idleSessionDays = idleSessionDays
        self.messageDays = messageDays
    }
}

public struct ServerSettings: Sendable, Hashable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// The URL users and Chatwoot reach Baton at; derived from host and port when absent.
    public var publicURL: String?
    /// Open connections (webchat sockets included) served at once; more are answered 503 and closed. `nil`: the
    /// process's open-file limit less 1,024, so the server never runs out of descriptors.
    public var maxConnections: Int?
    /// Requests handled at once; more are answered 503.
    public var maxInFlightRequests: Int
    /// How long a connection may wait for its first request, or a kept-alive one for its next, before it is closed,
    /// so idle clients cannot hold the connection cap. WebSockets and requests in progress (long polls) are not
    /// affected.
    public var idleTimeoutSeconds: Int
    /// The threads that serve connections (and carry Baton's HTTP calls and PostgreSQL's connections). `nil`: one per
    /// core, SwiftNIO's default. Several instances on one machine should each take their share of its cores: with one
    /// per core each, they run more such threads than there are cores, and spend time handing the cores to one another.
    public var eventLoops: Int?
    /// The reverse proxies whose `X-Forwarded-For` names the client (for the limits per client): loopback and
    /// private networks unless set. A request from anywhere else is its own connection's client.
    public var trustedProxies: [AddressRange] = AddressRange.privateNetworks

    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil, maxConnections: Int? = nil, maxInFlightRequests: Int = 4_096,
        idleTimeoutSeconds: Int = 75, eventLoops: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.maxConnections = maxConnections
        self.maxInFlightRequests = maxInFlightRequests
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.eventLoops = eventLoops
    }
}

/// Which store Baton keeps its sessions in: the embedded SQLite file, or PostgreSQL when `postgres` is set.
public struct StorageSettings: Sendable, Hashable {
    /// The SQLite database file; created with its folder when missing. Unused when `postgres` is set.
    public var sqlitePath: String
    /// Whether each SQLite commit is flushed to the disk before what it stored is acknowledged, so that a power cut
    /// or an operating system crash loses nothing acknowledged either. Off, a crash or kill of Baton loses nothing,
    /// and a power cut may lose the last commits (SQLite's write-ahead log with `synchronous = NORMAL`).
    public var sqliteSyncsEachCommit: Bool
    /// Copies of the SQLite database Baton writes itself, on a schedule; none when `nil`.
    public var sqliteBackups: SQLiteBackupSettings?
    /// A PostgreSQL database, which several Baton processes can share.
    public var postgres: PostgresStorageSettings?
    public init(
        sqlitePath: String, sqliteSyncsEachCommit: Bool = false, sqliteBackups: SQLiteBackupSettings? = nil, postgres: PostgresStorageSettings? = nil
    ) {
        self.sqlitePath = sqlitePath
        self.sqliteSyncsEachCommit = sqliteSyncsEachCommit
        self.sqliteBackups = sqliteBackups
        self.postgres = postgres
    }

    /// Where the data is, without secrets: for the start banner and logs.
    public var location: String { postgres.map { "PostgreSQL \($0)" } ?? sqlitePath }

    /// Where the data is and, for SQLite, when a commit reaches the disk: for the start banner, so an operator sees
    /// that `syncEachCommit` took.
    public var summary: String {
        guard postgres == nil else { return location }
        return location + (sqliteSyncsEachCommit ? " (each commit flushed to the disk)" : " (flushed at checkpoints)")
    }
}

/// `storage.sqlite.backups`: a consistent copy of the SQLite database in `folder` every `everyHours`, the newest
/// `keep` kept (the same copy as `baton backup`'s).
public struct SQLiteBackupSettings: Sendable, Hashable {
    /// Where the copies go (made when missing); each named after its time, `baton-YYYYMMDD-HHMMSS.sqlite` (UTC).
    public var folder: String
    public var everyHours: Int
    /// How many copies stay; older ones are deleted after each new one.
    public var keep: Int
    public init(folder: String, everyHours: Int = 24, keep: Int = 7) {
        self.folder = folder
        self.everyHours = everyHours
        self.keep = keep
    }
}

public struct LogSettings: Sendable, Hashable {
    public var level: String
    /// How each line is written.
    public var format: LogFormat
    public init(level: String = "info", format: LogFormat = .text) {
        self.level = level
        self.format = format
    }
    public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}

/// `text`: swift-log's lines for people, on standard error. `json`: one JSON object per line on standard output, for
/// log collectors; every line, the start banner included.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    case text
    case json
}

/// One endpoint: a public URL token, the channels it serves, the flow it runs and its handover provider.
public struct EndpointConfiguration: Sendable {
    public var id: String
    public var name: String
    /// The public token in the endpoint's URLs (`/webchat/{urlToken}`).
    public var urlToken: String
    public var flowFile: String
    public var flow: Flow
    public var webchat: WebchatSettings
    public var rest: RESTSettings
    /// Chatwoot inboxes (WhatsApp, the website widget, e-mail…) whose conversations this endpoint answers as
    /// Chatwoot's agent bot, with the Chatwoot account of `handover`.
    public var chatwoot: ChatwootChannelSettings?
    public var handover: HandoverSettings?
    /// The words of Baton's notices (per language) and the handover timers nodes do not set.
    public var handoverPolicy: HandoverPolicy

    public init(
        id: String, name: String, urlToken: String, flowFile: String, flow: Flow, webchat: WebchatSettings = WebchatSettings(),
        rest: RESTSettings = RESTSettings(), chatwoot: ChatwootChannelSettings? = nil, handover: HandoverSettings? = nil,
        handoverPolicy: HandoverPolicy = HandoverPolicy()
    ) {
        self.id = id
        self.name = name
        self.urlToken = urlToken
        self.flowFile = flowFile
        self.flow = flow
        self.webchat = webchat
        self.rest = rest
        self.chatwoot = chatwoot
        self.handover = handover
        self.handoverPolicy = handoverPolicy
    }
}

/// The Chatwoot channel of an endpoint: Baton's agent bot is connected to these inboxes and answers every
/// conversation in them until a handover gives it to humans.
public struct ChatwootChannelSettings: Sendable, Hashable {
    /// The inbox ids (any channel type) whose conversations the endpoint's flow answers.
    public var inboxes: [Int]
    /// For Chatwoot before 4.13, which does not sign agent-bot webhooks: an unguessable path segment; the bot's
    /// `outgoing_url` is then `<base>/channels/chatwoot/<endpoint id>/<this secret>`.
    public var webhookPathSecret: Secret?

    public init(inboxes: [Int], webhookPathSecret: Secret? = nil) {
        self.inboxes = inboxes
        self.webhookPathSecret = webhookPathSecret
    }
}

public struct WebchatSettings: Sendable, Hashable {
    public var enabled: Bool
    /// When set, an embedding page may say who the user is (`setUser`) with the HMAC-SHA256 of the user id under
    /// this secret, computed by the site's server (as Chatwoot's `identifier_hash`); a verified user keeps one
    /// session across devices and reloads.
    public var identitySecret: Secret?
    /// A line under the chat's title while the bot has the user (e.g. "We usually reply within a few minutes");
    /// during a handover the line says who has the user instead.
    public var subtitle: String?
    /// The endpoint's look, on its page and as the widget's defaults (the widget's `data-` attributes win).
    public var branding = WebchatBranding()
    /// Whether the page offers its users "Delete conversation", which erases their session as an operator's
    /// erasure does (not while an agent has it). Chatwoot's copy of past handovers stays Chatwoot's.
    public var userCanDelete: Bool
    /// The page's own words the endpoint sets, by language tag (lower case, `-` between parts) and key (see
    /// `WebchatTexts`), over the ones the page ships; a language only here is one more the page speaks.
    public var texts: [String: [String: String]] = [:]

    public init(enabled: Bool = true, identitySecret: Secret? = nil, subtitle: String? = nil, userCanDelete: Bool = true) {
        self.enabled = enabled
        self.identitySecret = identitySecret
        self.subtitle = subtitle
        self.userCanDelete = userCanDelete
    }
}

/// How an endpoint's webchat looks: every value checked when the config is read, so nothing a config says can
/// become script or style on the page.
public struct WebchatBranding: Sendable, Hashable {
    /// The chat's title; the endpoint's name when absent.
    public var title: String?
    /// The accent (the user's bubbles, buttons, the launcher) and the text on it: `#rgb` or `#rrggbb`.
    public var color: String?
    public var textColor: String?
    /// An http(s) image for the header and the launcher.
    public var logo: String?
    /// An http(s) image beside the bot's messages; the logo (else the title's initial) when absent.
    public var botAvatar: String?
    /// The widget launcher's corner: `right` (default) or `left`.
    public var position: String?

    public init(title: String? = nil, color: String? = nil, textColor: String? = nil, logo: String? = nil, position: String? = nil) {
        self.title = title
        self.color = color
        self.textColor = textColor
        self.logo = logo
        self.position = position
    }

    /// A colour the config may give: `#rgb` or `#rrggbb`.
    public static func isColor(_ text: String) -> Bool {
        let hex = text.dropFirst()
        return text.first == "#" && (hex.count == 3 || hex.count == 6) && hex.allSatisfy(\.isHexDigit)
    }
}

public struct RESTSettings: Sendable, Hashable {
    public var enabled: Bool
    /// When set, callers may address sessions by their own `userId` if they present it as a bearer token, and
    /// outside bots may use the handovers API with it.
    public var apiKey: Secret?
    /// Where the handovers of sessions an outside bot owns are told of (queued, agent assigned, agent message,
    /// resolved, reopened, cancelled, inactive, failed); `nil` when the bot reads them by polling.
    public var callback: HandoverCallbackSettings?

    public init(enabled: Bool = true, apiKey: Secret? = nil, callback: HandoverCallbackSettings? = nil) {
        self.enabled = enabled
        self.apiKey = apiKey
        self.callback = callback
    }
}

/// An outside bot's callback URL for handover notifications, and the secret they are signed with.
public struct HandoverCallbackSettings: Sendable, Hashable {
    /// An http(s) URL.
    public var url: String
    /// Signs every notification: `X-Baton-Signature: sha256=<hex HMAC-SHA256 of "<X-Baton-Timestamp>.<body>">`.
    public var secret: Secret

    public init(url: String, secret: Secret) {
        self.url = url
        self.secret = secret
    }
}

/// Which human-agent platform an endpoint hands over to.
public enum HandoverSettings: Sendable, Hashable {
    case chatwoot(ChatwootSettings)

    public var providerName: String {
        switch self {
        case .chatwoot: "chatwoot"
        }
    }
}

/// An inbox named in the config: by id, or by name (which `baton chatwoot setup` creates when it is missing).
public enum ChatwootInboxChoice: Sendable, Hashable, CustomStringConvertible {
    case id(Int)
    case name(String)

    public var description: String {
        switch self {
        case .id(let id): "inbox \(id)"
        case .name(let name): "inbox '\(name)'"
        }
    }
}

/// The Chatwoot account an endpoint hands over to.
public struct ChatwootSettings: Sendable, Hashable {
    /// `https://app.chatwoot.com` or a self-hosted installation's URL (without `/api/v1`).
    public var baseURL: String
    public var accountID: Int
    /// A user's API access token (Profile settings → Access token).
    public var apiAccessToken: Secret
    public var agentBotName: String
    public var agentBotDescription: String
    /// The inbox's webhook secret (Chatwoot 4.13+), used to verify `X-Chatwoot-Signature`.
    public var webhookSecret: Secret?
    /// The file `webhookSecretFile` names (resolved), where `baton chatwoot setup` writes the inbox's secret.
    public var webhookSecretFile: String?
    /// The API-channel inbox `baton chatwoot setup` creates or adopts and `baton doctor` checks.
    public var inbox: ChatwootInboxChoice?
    /// For Chatwoot before 4.13, which does not sign webhooks: an unguessable path segment; the inbox's webhook
    /// URL is then `<base>/handover/chatwoot/<endpoint id>/<this secret>`.
    public var webhookPathSecret: Secret?
    /// Profile fields copied into the Chatwoot conversation's custom attributes (e.g. `tier`, `email`).
    public var profileAttributes: [String] = []
    /// Show users the agent's display name with their replies (some teams prefer agents to stay anonymous).
    public var showAgentNames = false
    /// Tell agents when the user is typing, shown as the contact typing (the Client API's `toggle_typing`).
    public var forwardUserTyping = false
    /// Tell agents when the user saw their replies: Chatwoot then shows them read, as with its own widget (the
    /// Client API's `update_last_seen`). It tells agents when the user reads, so it is asked for.
    public var reportSeenMessages = false
    /// For handover nodes with `whenUnavailable`: whether an agent whose status is `busy` counts as there.
    public var busyIsAvailable = false
    /// How long an inbox's working hours and its members' availability are kept before they are read again.
    public var availabilityCacheSeconds = 30

    public init(
        baseURL: String, accountID: Int, apiAccessToken: Secret, agentBotName: String = "Baton",
        agentBotDescription: String = "The Baton bot that talked to the user before the handover", webhookSecret: Secret? = nil
    ) {
        self.baseURL = baseURL
        self.accountID = accountID
        self.apiAccessToken = apiAccessToken
        self.agentBotName = agentBotName
        self.agentBotDescription = agentBotDescription
        self.webhookSecret = webhookSecret
    }
}
