import Foundation

/// The agent console: static files from `Resources/console` plus a bootstrap document telling the page which
/// account and agent token to use (the console then talks to the stand-in's own API like the dashboard does).
struct ConsoleAssets: Sendable {
    private let files: [String: (contentType: String, data: [UInt8])]

    init() {
        var files: [String: (String, [UInt8])] = [:]
        let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "application/javascript; charset=utf-8"]
        for (name, ext) in [("index", "html"), ("console", "css"), ("console", "js")] {
            let url =
                Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources/console")
                ?? Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "console")
            if let url, let data = try? Data(contentsOf: url) { files["\(name).\(ext)"] = (types[ext] ?? "application/octet-stream", Array(data)) }
        }
        self.files = files
    }

    func response(for path: String, state: StandInState) async -> APIResponse {
        let name = path == "/console" || path == "/console/" ? "index.html" : String(path.dropFirst("/console/".count))
        if name == "bootstrap.json" { return .json(await state.consoleBootstrap()) }
        if name == "typing.json" { return .json(await state.consoleContactsTyping()) }
        guard let file = files[name] else { return .head(404) }
        return APIResponse(
            status: 200,
            headers: [
                ("Content-Type", file.contentType), ("Cache-Control", "no-store"),
                // Everything is served from here; nothing external may load.
                ("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'"),
            ],
            body: file.data)
    }
}

extension ConsoleAssets {
    /// The console's "write as the contact": `{"account", "conversation", "content"}` writes into that
    /// conversation's channel as its contact (Chatwoot's channel rules then pick the conversation: a resolved
    /// WhatsApp one gives a new conversation); `{"account", "inbox", "name", "content"}` starts as a new contact.
    /// Not part of Chatwoot's API: it is what a contact does on their phone or in the widget.
    func contactMessage(_ body: [UInt8], state: StandInState) async -> APIResponse {
        guard let json = try? JSONParser.parse(body), let account = json["account"]?.intValue, let content = json["content"]?.stringValue,
            !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return .json(["error": "send account, content and a conversation or an inbox"], status: 400) }
        do {
            let message: Message
            if let conversation = json["conversation"]?.intValue {
                message = try await state.contactWritesAgain(ref: ConversationRef(accountId: account, displayId: conversation), content: content)
            } else if let inbox = json["inbox"]?.intValue, await state.db.inbox(inbox)?.accountId == account {
                let name = json["name"]?.stringValue ?? "Test Customer"
                let source = String(UInt64.random(in: 4_900_000_000_000...4_999_999_999_999))
                let contact = ChannelContact(sourceId: source, name: name, phoneNumber: "+" + source)
                message = try await state.contactWrites(inboxId: inbox, contact: contact, content: content, files: [], sourceId: nil)
            } else {
                return .json(["error": "no such inbox in this account"], status: 404)
            }
            return .json(["id": .int(message.id), "conversation_id": .int(message.conversationDisplayId)])
        } catch let error as StandInAPIError {
            return .error(error)
        } catch {
            return .error(.internalServerError)
        }
    }
}

extension StandInState {
    /// How long a contact's "typing" holds without being said again or taken back (Chatwoot's dashboard drops the
    /// indicator after a while of silence too; Baton's webchat says it again every 10 s while the user types).
    static let contactTypingHolds: Int64 = 15_000_000

    /// The conversations whose contact types now, for the console: `{"typing": [{"account", "conversation", "name"}]}`
    /// (the conversation's display id, the contact's name).
    func consoleContactsTyping() -> JSONValue {
        let now = now().microseconds
        let typing = db.contactsTyping.filter { now - $0.value.microseconds < Self.contactTypingHolds }.keys.sorted().compactMap { id -> JSONValue? in
            guard let conversation = db.conversations.first(where: { $0.id == id }) else { return nil }
            return [
                "account": .int(conversation.accountId), "conversation": .int(conversation.displayId),
                "name": .string(db.contact(conversation.contactId)?.name ?? "The contact"),
            ]
        }
        return ["typing": .array(typing)]
    }

    /// The console's starting point: every account with its administrators' and agents' tokens, so the page can
    /// act as an agent without a login (the stand-in is a local development tool).
    func consoleBootstrap() -> JSONValue {
        .object([
            (
                "accounts",
                .array(
                    db.accounts.map { account in
                        let users = db.users.filter { $0.roles[account.id] != nil }.sorted { ($0.roles[account.id] == .administrator ? 0 : 1, $0.id) < ($1.roles[account.id] == .administrator ? 0 : 1, $1.id) }
                        return [
                            "id": .int(account.id), "name": .string(account.name),
                            "users": .array(
                                users.map { ["id": .int($0.id), "name": .string($0.name), "role": .string($0.roles[account.id]?.rawValue ?? ""), "access_token": .string($0.accessToken)] }),
                            "inboxes": .array(
                                db.inboxes.filter { $0.accountId == account.id }.map {
                                    ["id": .int($0.id), "name": .string($0.name), "channel_type": .string($0.channel.rawValue)]
                                }),
                        ]
                    })
            )
        ])
    }
}
