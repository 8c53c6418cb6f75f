import ChatwootStandIn
import Foundation

/// Timing against the stand-in's own clock: it runs in the bench's process and stamps each request it receives
/// with the wall clock (`Instant`), so a send stamped the same way can be set against its receipt.
extension Instant {
    /// Now, as the stand-in stamps what it receives.
    static var now: Instant { Instant(Date()) }

    /// Nanoseconds from `earlier` to this instant (0 if it is not later).
    func nanoseconds(since earlier: Instant) -> UInt64 { UInt64(max(0, microseconds - earlier.microseconds)) * 1000 }
}

extension ChatwootStandIn {
    /// The first `POST` to a path ending in `suffix` whose body says `text`, once the stand-in has received it.
    func post(to suffix: String, saying text: String, timeout: Duration = .seconds(10)) async throws -> RecordedRequest {
        try await waitForRequests(count: 1, timeout: timeout) { request in
            request.method == "POST" && request.path.hasSuffix(suffix) && request.bodyText.contains(text)
        }[0]
    }
}
