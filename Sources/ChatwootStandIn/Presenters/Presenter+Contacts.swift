extension Presenter {
    /// `views/api/v1/models/_contact.json.jbuilder`.
    func contact(_ contact: Contact, withContactInboxes: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("additional_attributes", contact.additionalAttributes), ("availability_status", "offline"),
            ("email", .string(contact.email)), ("id", .int(contact.id)), ("name", .string(contact.name)),
            ("phone_number", .string(contact.phoneNumber)), ("blocked", .bool(contact.blocked)),
            ("identifier", .string(contact.identifier)), ("thumbnail", ""), ("custom_attributes", contact.customAttributes),
        ]
        if let lastActivityAt = contact.lastActivityAt { members.append(("last_activity_at", .int(lastActivityAt.unixSeconds))) }
        members.append(("created_at", .int(contact.createdAt.unixSeconds)))
        if withContactInboxes {
            let links = db.contactInboxes.filter { $0.contactId == contact.id }
            members.append(("contact_inboxes", .array(links.compactMap(contactInboxEntry))))
        }
        return .object(members)
    }

    /// An entry of `contact_inboxes[]`: `{source_id, inbox:{slim}}`.
    func contactInboxEntry(_ link: ContactInbox) -> JSONValue? {
        guard let inbox = db.inbox(link.inboxId) else { return nil }
        return ["source_id": .string(link.sourceId), "inbox": inboxSlim(inbox)]
    }

    /// `Contact#push_event_data` (message senders in REST bodies and `conversation.meta.sender` in webhooks).
    func contactPush(_ contact: Contact) -> JSONValue {
        [
            "additional_attributes": contact.additionalAttributes, "custom_attributes": contact.customAttributes,
            "email": .string(contact.email), "id": .int(contact.id), "identifier": .string(contact.identifier),
            "name": .string(contact.name), "phone_number": .string(contact.phoneNumber), "thumbnail": "",
            "blocked": .bool(contact.blocked), "type": "contact",
        ]
    }

    /// `Contact#webhook_data`: the top-level `sender` of a contact's message webhook (no `type` key).
    func contactWebhook(_ contact: Contact) -> JSONValue {
        [
            "account": accountWebhook(contact.accountId), "additional_attributes": contact.additionalAttributes, "avatar": "",
            "custom_attributes": contact.customAttributes, "email": .string(contact.email), "id": .int(contact.id),
            "identifier": .string(contact.identifier), "name": .string(contact.name), "phone_number": .string(contact.phoneNumber),
            "thumbnail": "", "blocked": .bool(contact.blocked),
        ]
    }

    /// `ContactInbox#as_json` (webhook `conversation.contact_inbox`).
    func contactInboxRecord(_ link: ContactInbox) -> JSONValue {
        [
            "id": .int(link.id), "contact_id": .int(link.contactId), "inbox_id": .int(link.inboxId), "source_id": .string(link.sourceId),
            "created_at": .string(link.createdAt.iso8601), "updated_at": .string(link.updatedAt.iso8601),
            "hmac_verified": .bool(link.hmacVerified), "pubsub_token": .string(link.pubsubToken),
        ]
    }
}
