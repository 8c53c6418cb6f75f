/// Inbox members and agent availability (`app/controllers/api/v1/accounts/inbox_members_controller.rb`,
/// `app/models/inbox_member.rb`, `app/controllers/api/v1/accounts/agents_controller.rb`).
extension StandInState {
    /// How `user_ids` change the member list.
    enum MembershipChange: Sendable {
        /// `create`: the ids not yet members are added.
        case add
        /// `update`: the list becomes exactly the ids.
        case replace
        /// `destroy`: the ids that are members are removed.
        case remove
    }

    /// The inbox's members who are users of its account, by id, for `{"payload":[agent…]}`.
    func members(of inbox: Inbox) -> [User] {
        // `Current.account.users.where(id: @inbox.members.select(:user_id))`: no order given; by id as Postgres usually returns them.
        db.users.filter { inbox.memberIds.contains($0.id) && $0.roles[inbox.accountId] != nil }.sorted { $0.id < $1.id }
    }

    /// Applies a membership change in one transaction. `create`/`update` first check that every id is an integer of an
    /// account user (422 `Invalid User IDs`, `validate_member_id_params`).
    func changeMembers(inboxId: Int, userIds: [Int], _ change: MembershipChange) throws -> Inbox {
        try transaction {
            guard let index = inboxIndex(inboxId) else { throw StandInAPIError.notFound }
            let accountId = db.inboxes[index].accountId
            if change != .remove, userIds.contains(where: { db.user($0)?.roles[accountId] == nil }) {
                throw StandInAPIError.unprocessable("Invalid User IDs")
            }
            var members = db.inboxes[index].memberIds
            switch change {
            case .add:
                for id in userIds where !members.contains(id) { members.append(id) }
            case .replace:
                members.removeAll { !userIds.contains($0) }
                for id in userIds where !members.contains(id) { members.append(id) }
            case .remove:
                members.removeAll { userIds.contains($0) }
            }
            db.inboxes[index].memberIds = members
            return db.inboxes[index]
        }
    }

    /// `account_user.update!(availability:)` (the setting; the stand-in treats every agent as present on the dashboard).
    func setAvailability(userId: Int, accountId: Int, _ availability: AgentAvailability) throws -> User {
        try transaction {
            guard let index = db.users.firstIndex(where: { $0.id == userId }), db.users[index].roles[accountId] != nil else {
                throw StandInAPIError.notFound
            }
            db.users[index].availabilities[accountId] = availability
            return db.users[index]
        }
    }

    /// Attaches a profile picture to the user, as `PUT /api/v1/profile` with `profile[avatar]` does (JPEG, PNG or
    /// GIF up to 15 MB, `Avatarable#acceptable_avatar`; anything else is refused with 422).
    func setAvatar(userId: Int, filename: String, contentType: String, data: [UInt8]) throws -> User {
        try transaction {
            guard let index = db.users.firstIndex(where: { $0.id == userId }) else { throw StandInAPIError.notFound }
            guard ["image/jpeg", "image/png", "image/gif"].contains(contentType), data.count <= 15 << 20 else {
                throw StandInAPIError.recordInvalid([("avatar", "Avatar filetype not supported")])
            }
            let blobId = nextId("blob")
            db.blobs.append(
                Blob(
                    id: blobId, key: Tokens.secure(length: 28).lowercased(), signedId: Tokens.signedBlobId(blobId, key: Self.signingKey),
                    filename: filename, contentType: contentType, data: data))
            db.users[index].avatarBlobId = blobId
            return db.users[index]
        }
    }

    /// What `PATCH /agents/{id}` may change (`agent_params.slice(:name)` and `slice(:role, :availability, :auto_offline).compact`).
    struct AgentUpdate: Sendable {
        var name: String?
        var role: String?
        var availability: String?
    }

    /// `AgentsController#update`: `agents.find(params[:id])` (404 outside the account); an unknown role or availability
    /// is an enum `ArgumentError`, which nothing rescues (500).
    func updateAgent(accountId: Int, userId: Int, _ update: AgentUpdate) throws -> User {
        try transaction {
            guard let index = db.users.firstIndex(where: { $0.id == userId }), db.users[index].roles[accountId] != nil else {
                throw StandInAPIError.notFound
            }
            let role = try update.role.map { raw in
                guard let role = UserRole(rawValue: raw) else { throw StandInAPIError.internalServerError }
                return role
            }
            let availability = try update.availability.map { raw in
                guard let value = AgentAvailability(rawValue: raw) else { throw StandInAPIError.internalServerError }
                return value
            }
            if let name = update.name { db.users[index].name = name }
            if let role { db.users[index].roles[accountId] = role }
            if let availability { db.users[index].availabilities[accountId] = availability }
            return db.users[index]
        }
    }
}
