import Foundation

/// Contacts and contact-inboxes (`ContactsController`, `ContactInboxBuilder`, `Contact` validations).
extension StandInState {
    struct ContactInput: Sendable {
        var name: String?
        var email: String?
        var phoneNumber: String?
        var identifier: String?
        var blocked: Bool?
        var additionalAttributes: JSONValue?
        var customAttributes: JSONValue?
    }

    /// `POST /contacts`: validates, saves, and links the inbox when `inboxId` is given.
    func createContact(accountId: Int, input: ContactInput, inboxId: Int?, sourceId: String?) throws -> (Contact, ContactInbox?) {
        try transaction { try insertContact(accountId: accountId, input: input, inboxId: inboxId, sourceId: sourceId) }
    }

    private func insertContact(accountId: Int, input: ContactInput, inboxId: Int?, sourceId: String?) throws -> (Contact, ContactInbox?) {
        // `downcase_email` runs before validation.
        let email = input.email.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        try validateContact(accountId: accountId, excluding: nil, name: input.name, email: email, phone: input.phoneNumber, identifier: input.identifier)
        var inbox: Inbox?
        if let inboxId {
            guard let found = db.inbox(inboxId), found.accountId == accountId else { throw StandInAPIError.notFound }
            inbox = found
            // A source id already used in this inbox belongs to another contact: RecordNotUnique, unrescued in
            // ContactsController#create (the transaction rolls back) → 500.
            if let sourceId, db.contactInboxes.contains(where: { $0.inboxId == inboxId && $0.sourceId == sourceId }) {
                throw StandInAPIError.internalServerError
            }
        }
        let now = now()
        let contact = Contact(
            id: nextId("contact"), accountId: accountId, name: input.name ?? "", email: email,
            phoneNumber: input.phoneNumber.flatMap { $0.isEmpty ? nil : $0 }, identifier: input.identifier.flatMap { $0.isEmpty ? nil : $0 },
            blocked: input.blocked ?? false, additionalAttributes: input.additionalAttributes ?? .emptyObject,
            customAttributes: input.customAttributes ?? .emptyObject, lastActivityAt: nil, createdAt: now, updatedAt: now)
        db.contacts.append(contact)
        var link: ContactInbox?
        if let inbox { link = try findOrCreateContactInbox(contactId: contact.id, inbox: inbox, sourceId: sourceId, hmacVerified: false) }
        return (contact, link)
    }

    /// `Contact` validations; the messages are Rails' full messages.
    func validateContact(accountId: Int, excluding contactId: Int?, name: String?, email: String?, phone: String?, identifier: String?) throws {
        var errors: [(attribute: String, message: String)] = []
        let others = db.contacts.filter { $0.accountId == accountId && $0.id != contactId }
        for (attribute, label, value) in [("name", "Name", name), ("email", "Email", email), ("phone_number", "Phone number", phone), ("identifier", "Identifier", identifier)] {
            if let value, value.rubyLength > 255 { errors.append((attribute, "\(label) is too long (maximum is 255 characters)")) }
        }
        if let email, !email.isEmpty {
            if others.contains(where: { $0.email?.lowercased() == email.lowercased() }) { errors.append(("email", "Email has already been taken")) }
            if !Self.looksLikeEmail(email) { errors.append(("email", "Email Invalid email")) }
        }
        if let identifier, !identifier.isEmpty, others.contains(where: { $0.identifier == identifier }) {
            errors.append(("identifier", "Identifier has already been taken"))
        }
        if let phone, !phone.isEmpty {
            if others.contains(where: { $0.phoneNumber == phone }) { errors.append(("phone_number", "Phone number has already been taken")) }
            if !Self.isE164Suffix(phone) { errors.append(("phone_number", "Phone number should be in e164 format")) }
        }
        if !errors.isEmpty { throw StandInAPIError.recordInvalid(errors) }
    }

    /// Devise's default `email_regexp` (`/\A[^@\s]+@[^@\s]+\z/`).
    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !s.contains(where: \.isWhitespace)
    }

    /// Chatwoot's `/\+[1-9]\d{1,14}\z/` — unanchored at the start, exactly as the model has it.
    static func isE164Suffix(_ s: String) -> Bool {
        let chars = Array(s)
        var digits = 0
        var i = chars.count - 1
        while i >= 0, chars[i].isASCII, chars[i].isNumber { digits += 1; i -= 1 }
        guard i >= 0, chars[i] == "+" else { return false }
        // Any suffix of the digit run of length 2…15 starting with 1-9 right after a '+' must exist; the '+' is fixed,
        // so the run itself must be 2…15 long and start with a non-zero digit.
        return (2...15).contains(digits) && chars[i + 1] != "0"
    }

    /// `ContactInboxBuilder#perform` for API/web-widget inboxes: a missing source id becomes a UUID; an existing
    /// (inbox, source id) pair of another contact is `RecordNotUnique`.
    func findOrCreateContactInbox(contactId: Int, inbox: Inbox, sourceId: String?, hmacVerified: Bool) throws -> ContactInbox {
        let source = sourceId.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.lowercased()
        if let existing = db.contactInboxes.first(where: { $0.inboxId == inbox.id && $0.sourceId == source }) {
            guard existing.contactId == contactId else { throw RecordNotUnique() }
            return existing
        }
        let now = now()
        let link = ContactInbox(
            id: nextId("contact_inbox"), contactId: contactId, inboxId: inbox.id, sourceId: source, hmacVerified: hmacVerified,
            pubsubToken: Tokens.secure(), createdAt: now, updatedAt: now)
        db.contactInboxes.append(link)
        return link
    }

    /// `POST /contacts/{id}/contact_inboxes`.
    func createContactInbox(accountId: Int, contactId: Int, inboxId: Int, sourceId: String?, hmacVerified: Bool) throws -> ContactInbox {
        guard let contact = db.contact(contactId), contact.accountId == accountId else { throw StandInAPIError.notFound }
        guard let inbox = db.inbox(inboxId), inbox.accountId == accountId else { throw StandInAPIError.notFound }
        do {
            return try transaction { try findOrCreateContactInbox(contactId: contact.id, inbox: inbox, sourceId: sourceId, hmacVerified: hmacVerified) }
        } catch is RecordNotUnique {
            throw StandInAPIError.internalServerError
        }
    }

    /// `GET /contacts/search`: name/email/phone `ILIKE %q%`, identifier `LIKE %q%`, or the id when q is numeric.
    func searchContacts(accountId: Int, query: String) -> [Contact] {
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        let numericId = q.allSatisfy(\.isNumber) ? Int(q) : nil
        return db.contacts(account: accountId).filter { contact in
            SQLLike.contains(contact.name, q, caseInsensitive: true) || SQLLike.contains(contact.email, q, caseInsensitive: true)
                || SQLLike.contains(contact.phoneNumber, q, caseInsensitive: true) || SQLLike.contains(contact.identifier, q, caseInsensitive: false)
                || (numericId != nil && contact.id == numericId)
        }
    }

    /// Marks a contact active (`Message#update_contact_activity`).
    func touchContact(_ contactId: Int, at time: Instant) {
        guard let index = contactIndex(contactId) else { return }
        db.contacts[index].lastActivityAt = time
        db.contacts[index].updatedAt = time
    }
}

/// Postgres' unique violation, which controllers turn into different answers.
struct RecordNotUnique: Error {}
