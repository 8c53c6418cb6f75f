import BatonCore
import Hummingbird
import Logging

/// `/healthz` says the process is alive; `/readyz` says it can serve: config loaded and store reachable.
struct HealthController {
    let store: any SessionStore

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, context -> Response in
            do {
                try await store.ping()
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                context.logger.error("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
                return Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "store unreachable\n")))
            }
        }
    }
}
