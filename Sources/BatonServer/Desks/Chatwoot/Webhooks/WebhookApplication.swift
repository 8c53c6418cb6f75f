import BatonCore
import Foundation
import Hummingbird
import NIOCore

/// Applies one authenticated Chatwoot webhook at most once and answers it, for both webhook routes (the API
/// inbox's and the agent bot's): a delivery id that was applied before is answered as a duplicate, and one whose
/// application failed is forgotten, so Chatwoot's next copy can still apply.
struct WebhookApplication: Sendable {
    let store: any SessionStore
    let metrics: BatonMetrics
    let now: @Sendable () -> Date

    /// Runs `apply` unless `deliveryKey` (nil: the action is harmless to repeat) was recorded before.
    func once(
        deliveryKey: String?, _ apply: () async throws -> (BatonMetrics.WebhookOutcome, String)
    ) async throws -> Response {
        if let deliveryKey, try await !store.recordDelivery(deliveryKey, now: now()) {
            metrics.webhook(.duplicate)
            return Self.accepted("duplicate delivery")
        }
        do {
            let (outcome, result) = try await apply()
            metrics.webhook(outcome)
            return Self.accepted(result)
        } catch {
            if let deliveryKey { try? await store.forgetDelivery(deliveryKey) }
            metrics.webhook(.refused)
            throw error
        }
    }

    /// `200 {"result": …}`: Chatwoot only looks at the status. Written straight into the body's bytes (an object
    /// of one member needs no dictionary, and every webhook gets one), sized once.
    static func accepted(_ outcome: String) -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(outcome.utf8.count + 16)
        bytes.append(contentsOf: #"{"result":"#.utf8)
        JSONValue.string(outcome).write(into: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
