import BatonCore

extension SessionStore {
    /// The session a client names by its id (a capability), if the id is well formed and the session is one of
    /// `endpoint`'s: another endpoint's session is as unknown as a made-up id.
    func session(_ token: String, of endpoint: Endpoint) async throws -> Session? {
        guard SessionID.isWellFormed(token), let session = try await session(id: SessionID(rawValue: token)), session.endpointID == endpoint.id else {
            return nil
        }
        return session
    }
}
