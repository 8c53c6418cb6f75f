import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for servers that must be told their port before they start: a config that names Baton's
/// public URL before `baton chatwoot setup` runs, a PgBouncer's ini file.
enum LoopbackPort {
    /// The ports handed out in this process, never handed out twice.
    private static let given = Mutex<Set<Int>>([])

    /// A port on 127.0.0.1 nothing listens on now, below the kernel's ephemeral range. A port that `bind` to port
    /// 0 returns is in that range, and the kernel may give it again, to another test's server on port 0 or to an
    /// outgoing connection, before the server it was chosen for binds it. Below the range, only a program that
    /// names the port takes it.
    static func free() throws -> Int {
        let ephemeral = ephemeralRangeStart()
        let candidates = 10_000..<max(ephemeral, 10_001)
        for _ in 0..<200 {
            let port = Int.random(in: candidates)
            let fresh = given.withLock { $0.insert(port).inserted }
            if fresh, canBind(port) { return port }
        }
        throw ChatError.unexpected("no free loopback port below \(ephemeral) after 200 tries")
    }

    /// The first port of `/proc/sys/net/ipv4/ip_local_port_range` (Linux's default, 32768, where it cannot be read).
    private static func ephemeralRangeStart() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    }

    /// Whether `port` on 127.0.0.1 can be bound now (and listened on: a port bound by a socket that does not listen
    /// fails at listen, not bind).
    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        return bound && listen(fd, 1) == 0
    }
}
