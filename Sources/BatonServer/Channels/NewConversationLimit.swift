import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `limits.newConversationsPerMinute`: how many conversations one client may start a minute on the channels anyone
/// can reach (the webchat, and the REST channel without its API key). Each one costs a session, its greeting and the
/// flow's first turn (a language model's, maybe), and the per-conversation message limit cannot see a script that
/// starts a new one for every message. Counted per client address (as a burst of the whole minute, refilled evenly),
/// an IPv6 client by its /64 (the least a network hands one customer, so a client cannot step through its own
/// addresses); verified users, the REST API key's users and conversations that resume are not counted. With other
/// instances on the store, the count is the store's (``SharedRateBuckets``), so a client gets its share once however
/// a load balancer spreads its requests; on its own, and whenever the store cannot be asked, this instance's memory.
final class NewConversationLimit: Sendable {
    let perMinute: Int
    let trustedProxies: [AddressRange]
    /// The buckets every instance shares; nil when this process is the only one.
    let shared: (any SharedRateBuckets)?
    let metrics: BatonMetrics
    let now: @Sendable () -> Date
    private let buckets = Mutex<(byClient: [IPAddress: RateBucket], sweepAbove: Int)>(([:], sweepAbove))
    /// Takes from the shared buckets since they were last swept.
    private let sharedTakes = Atomic<Int>(0)
    /// Every so many takes from the shared buckets, those full again are forgotten.
    static let sharedSweepEvery = 1_000

    /// Above this many clients counted, those whose bucket has filled up again are forgotten (they are where a new
    /// bucket would start), so a crowd of addresses costs memory only while it is within its minute; the next sweep
    /// waits for twice as many as are left, so sweeps cost each conversation a constant share however many remain.
    static let sweepAbove = 10_000
    /// More clients than this in one minute are no one client's doing (a crowd of machines, which a limit per address
    /// does not stop): they are forgotten rather than held.
    static let most = 200_000

    init(
        _ limits: LimitSettings, trustedProxies: [AddressRange], shared: (any SharedRateBuckets)? = nil, metrics: BatonMetrics,
        now: @escaping @Sendable () -> Date
    ) {
        perMinute = limits.newConversationsPerMinute
        self.trustedProxies = trustedProxies
        self.shared = shared
        self.metrics = metrics
        self.now = now
    }

    /// The client of a request that came over a connection from `peer` with these `X-Forwarded-For` values; `nil`
    /// when it is not counted (no address known, or a trusted proxy that names no client).
    func client(peer: SocketAddress?, forwardedFor: [String]) -> IPAddress? {
        Self.client(peer: peer?.ipAddress.flatMap { IPAddress($0) }, forwardedFor: forwardedFor, trusted: trustedProxies)
    }

    /// The peer, unless it is a proxy Baton trusts: then the address the nearest untrusted hop gave (each proxy adds
    /// the address it heard from to `X-Forwarded-For`, so the last one no trusted proxy wrote is the client's; what
    /// comes before it, the client may have written itself), or the first when all are trusted. A trusted peer that
    /// forwards no address (a proxy that sends no `X-Forwarded-For`, Docker's port mapping seen from the host) would
    /// make every user one client: it is not counted rather than refuse them all.
    static func client(peer: IPAddress?, forwardedFor: [String], trusted: [AddressRange]) -> IPAddress? {
        guard let peer else { return nil }
        let isTrusted = { (address: IPAddress) in trusted.contains { $0.contains(address) } }
        guard isTrusted(peer) else { return peer }
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.compactMap { IPAddress($0) }
        return chain.last(where: { !isTrusted($0) }) ?? chain.first
    }

    /// Counts a new conversation of `client`, or throws how long it must wait.
    func admit(_ client: IPAddress?) async throws(NewConversationsRefused) {
        guard perMinute > 0, let client else { return }
        let time = now()
        let burst = Double(perMinute), perSecond = Double(perMinute) / 60
        let key = client.isIPv4 ? client : IPAddress(high: client.high, low: 0)
        let wait: Double?
        if let shared {
            do {
                wait = try await take(key, from: shared, at: time, perSecond: perSecond, burst: burst)
            } catch {
                wait = takeHere(key, at: time, perSecond: perSecond, burst: burst)
            }
        } else {
            wait = takeHere(key, at: time, perSecond: perSecond, burst: burst)
        }
        guard let wait else { return }
        metrics.refused("new_conversations")
        throw NewConversationsRefused(retryAfter: max(1, Int(wait.rounded(.up))))
    }

    /// A take from the shared buckets: the seconds to wait, or nil; every ``sharedSweepEvery`` takes, the buckets
    /// full again are forgotten.
    private func take(_ key: IPAddress, from shared: any SharedRateBuckets, at time: Date, perSecond: Double, burst: Double) async throws -> Double? {
        let wait = try await shared.take(from: key.description, at: time, perSecond: perSecond, burst: burst)
        if sharedTakes.add(1, ordering: .relaxed).newValue % Self.sharedSweepEvery == 0 {
            try? await shared.forgetBuckets(takenBefore: time.addingTimeInterval(-burst / perSecond))
        }
        return wait
    }

    /// A take from this instance's own buckets: the seconds to wait, or nil.
    private func takeHere(_ key: IPAddress, at time: Date, perSecond: Double, burst: Double) -> Double? {
        buckets.withLock { state -> Double? in
            let (bucket, wait) = RateBucket.take(from: state.byClient[key], at: time, perSecond: perSecond, burst: burst)
            state.byClient[key] = bucket
            if state.byClient.count > state.sweepAbove {
                state.byClient = state.byClient.filter { $0.value.tokens + max(0, time.timeIntervalSince($0.value.at)) * perSecond < burst }
                if state.byClient.count > Self.most { state.byClient = [:] }
                state.sweepAbove = max(Self.sweepAbove, 2 * state.byClient.count)
            }
            return wait
        }
    }

    /// Clients counted now (for tests).
    var counted: Int { buckets.withLock { $0.byClient.count } }
}

/// A client started more conversations than `limits.newConversationsPerMinute` allows; it may start the next after
/// `retryAfter` seconds. REST: 429 with `Retry-After`; the webchat: an `error` frame, and the socket waits for another
/// `hello`.
struct NewConversationsRefused: Error, Equatable, HTTPResponseError {
    let retryAfter: Int

    static let code = "too_many_conversations"
    var message: String { "too many new conversations from this address; try again in \(retryAfter) s" }
    var status: HTTPResponse.Status { .tooManyRequests }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIError(status, Self.code, message).response(from: request, context: context)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }
}

extension HTTPField.Name {
    /// What reverse proxies add the address they heard a request from to.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
