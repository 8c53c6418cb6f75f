import ServiceLifecycle
import Synchronization

/// Holds a background service back until the store's schema is migrated (before that its tables may not exist): the
/// service waits in `wait()` before its first read, and the composition root calls `open()` once migrations ran.
/// Opening rings the service's own doorbell, the one its graceful shutdown rings too, so a wait ends either way.
final class StoreReadiness: Sendable {
    private let isOpen = Mutex(false)
    private let bell: Doorbell

    init(bell: Doorbell) { self.bell = bell }

    /// Lets the service start.
    func open() {
        isOpen.withLock { $0 = true }
        bell.ring()
    }

    /// A service's whole life: once the store is ready, `pass` runs, then again after the pause it returns (`nil`:
    /// at once, it has more to do), until the service stops; its graceful shutdown rings the bell, which ends a pause.
    func runPasses(_ pass: @escaping @Sendable () async -> Duration?) async {
        await withGracefulShutdownHandler {
            await wait()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                guard let pause = await pass() else { continue }
                await bell.wait(upTo: pause)
            }
        } onGracefulShutdown: {
            self.bell.ring()
        }
    }

    /// Returns once `open()` was called, or when the task is cancelled or the service is shutting down. A ring
    /// before the wait is kept by the doorbell, so an opening is never missed; other rings are waited through.
    func wait() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully && !isOpen.withLock({ $0 }) {
            await bell.wait()
        }
    }
}
