import BatonConfig

/// The checks setup and doctor share: the token is valid and an administrator's in the account, and the inbox the
/// config names is an API-channel inbox. Each failure names its fix.
struct ChatwootAccess: Sendable {
    let settings: ChatwootSettings
    let client: ChatwootClient

    /// The token's user and role in the account; a failed line when it cannot set Baton up.
    func checkToken() async -> CheckLine {
        let profile: ChatwootProfile
        do {
            profile = try await client.profile()
        } catch let error as ChatwootError where error.kind == .unauthorized {
            return CheckLine(
                .failed, "token", "Chatwoot at \(settings.baseURL) does not accept the API access token (401)",
                fix: "copy an administrator's access token from Chatwoot (Profile settings → Access token) into apiAccessToken(File)")
        } catch {
            return Self.unreachable(error, settings: settings)
        }
        let who = profile.name ?? profile.email ?? "user \(profile.id)"
        guard let membership = profile.accounts.first(where: { $0.id == settings.accountID }) else {
            let theirs = profile.accounts.map { "\($0.id)\($0.name.map { " '\($0)'" } ?? "")" }.joined(separator: ", ")
            return CheckLine(
                .failed, "account", "\(who) has no account \(settings.accountID) in this Chatwoot (theirs: \(theirs.isEmpty ? "none" : theirs))",
                fix: "set accountId to the number in Chatwoot's URL (…/app/accounts/<id>/…), or use a token of that account's administrator")
        }
        guard membership.role == "administrator" else {
            return CheckLine(
                .failed, "token", "\(who) is \(membership.role.map { "an \($0)" } ?? "not an administrator") in account \(settings.accountID)",
                fix: "use an administrator's access token: agents cannot manage inboxes or agent bots (Chatwoot answers 401)")
        }
        return CheckLine(.ok, "token", "\(who) is an administrator of account \(settings.accountID)\(membership.name.map { " '\($0)'" } ?? "")")
    }

    /// What became of looking for the configured inbox.
    enum InboxLookup {
        /// It exists and is an API-channel inbox.
        case found(ChatwootInboxSettings)
        /// The config names it by a name no inbox has: setup creates it.
        case missing
        /// It cannot be used: the line says why and what fixes it.
        case problem(CheckLine)
    }

    /// The configured inbox.
    func findInbox() async -> InboxLookup {
        guard let choice = settings.inbox else {
            return .problem(CheckLine(
                .failed, "inbox", "the config names no inbox for handovers",
                fix: "set handover.chatwoot.inbox to the name of a new inbox (setup creates it) or the id of an API-channel inbox"))
        }
        let found: ChatwootInboxSettings?
        do {
            switch choice {
            case .id(let id):
                do {
                    found = try await client.inboxSettings(id: id)
                } catch let error as ChatwootError where error.kind == .notFound {
                    return .problem(CheckLine(
                        .failed, "inbox", "account \(settings.accountID) has no inbox \(id)",
                        fix: "set handover.chatwoot.inbox to an existing inbox's id, or to a name for setup to create the inbox"))
                }
            case .name(let name):
                found = try await client.inboxes().first { $0.name == name }
            }
        } catch {
            return .problem(Self.unreachable(error, settings: settings))
        }
        if let found, !found.isAPIChannel {
            return .problem(CheckLine(
                .failed, "inbox", "'\(found.name)' (id \(found.id)) is a \(found.channelType ?? "non-API") inbox; Baton hands over to an API-channel inbox",
                fix: "name a new inbox in handover.chatwoot.inbox (setup creates it as an API channel), or create one in Chatwoot: Settings → Inboxes → Add inbox → API"))
        }
        return found.map(InboxLookup.found) ?? .missing
    }

    /// The URL the inbox's webhooks must go to.
    static func webhookURL(publicURL: String, endpointID: String, settings: ChatwootSettings) -> String {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        // Chatwoot before 4.13 does not sign: the secret path is then the proof (see ChatwootWebhookController).
        if let pathSecret = settings.webhookPathSecret { return "\(base)/handover/chatwoot/\(endpointID)/\(pathSecret.value)" }
        return "\(base)/handover/chatwoot"
    }

    static func unreachable(_ error: any Error, settings: ChatwootSettings) -> CheckLine {
        let reason = (error as? ChatwootError).map { "\($0.kind.rawValue)\($0.status.map { " (\($0))" } ?? ""): \($0.message)" } ?? "\(error)"
        return CheckLine(
            .failed, "chatwoot", "cannot talk to Chatwoot at \(settings.baseURL): \(reason)",
            fix: "check handover.chatwoot.baseURL (e.g. https://app.chatwoot.com, without /api/v1) and that this machine reaches it")
    }
}
