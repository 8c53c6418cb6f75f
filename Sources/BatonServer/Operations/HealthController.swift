import BatonCore
import Hummingbird
import Logging

/// `/healthz` says the process is alive; `/readyz` says it can serve: config loaded and store reachable.
struct HealthController {
    let store: any SessionStore

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in Self.text("ok\n") }
        router.get("readyz") { _, context -> Response in
            do {
                try await store.ping()
                return Self.text("ready\n")
            } catch {
                context.logger.error("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
                return Self.text("store unreachable\n", status: .serviceUnavailable)
            }
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
