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

    /// Returns once `open()` was called, or when the task is cancelled or the service is shutting down. A ring
    /// before the wait is kept by the doorbell, so an opening is never missed; other rings are waited through.
    func wait() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully && !isOpen.withLock({ $0 }) {
            await bell.wait()
        }
    }
}
