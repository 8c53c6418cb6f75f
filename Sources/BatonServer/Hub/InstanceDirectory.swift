import Foundation

/// Which process an instance is, for people and for the relay: the machine's name (the container's, the pod's), the
/// process id, and its name on the relay, which carries both.
struct InstanceIdentity: Sendable, Equatable {
    var instance: String
    var host: String
    var pid: Int

    /// This process, with a name of its own (``InstanceName``).
    static func current() -> InstanceIdentity {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        return InstanceIdentity(instance: InstanceName.make(host: host, pid: pid), host: host, pid: pid)
    }
}

/// An instance's name on the relay: `<host>:<pid>:<8 hex digits>`. PostgreSQL lists each listening connection under
/// it (`application_name`), so the list of instances says which machine and process each is without asking them;
/// the random part keeps two processes of one pid apart (a restarted container is pid 1 again). The host is cut to
/// 24 characters of `[A-Za-z0-9.-]`, so the name fits PostgreSQL's 63 bytes with the listener's prefix
/// (`baton hub listener `) and with the shared channel's (`baton_hub.`).
enum InstanceName {
    static func make(host: String, pid: Int, random: UInt32 = .random(in: .min ... .max)) -> String {
        let safe = String(host.prefix(24).map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
        return "\(safe.isEmpty ? "host" : safe):\(pid):\(String(format: "%08x", random))"
    }

    /// The host and process of a name ``make(host:pid:random:)`` made; nil for another (an older Baton's, a UUID).
    static func parse(_ name: String) -> (host: String, pid: Int)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let pid = Int(parts[1]), parts[2].count == 8 else { return nil }
        return (String(parts[0]), pid)
    }
}

/// The instances that share this one's store, as its relay sees them listening, and which one this is.
struct InstanceDirectory: Sendable {
    /// The other instances' relay; nil when this process is the only one (SQLite).
    let relay: (any HubRelay)?
    let here: InstanceIdentity

    /// One instance as the admin page lists it.
    struct Listed: Encodable, Sendable, Equatable {
        var instance: String
        var host: String?
        var pid: Int?
        /// Where PostgreSQL saw it connect from.
        var address: String?
        /// When its listening connection was opened: its start, or its last reconnection.
        var listeningSince: String?
        var here: Bool?
    }

    /// Every instance listening now, this one first (marked `here`) and the others by host and pid; nil without a
    /// relay or when it cannot tell. This one is listed even while its own listener reconnects.
    func listing() async throws -> [Listed]? {
        guard let listening = try await relay?.listeningInstances() else { return nil }
        let others = listening.filter { !isHere($0) }.map { instance in
            let (host, pid) = InstanceName.parse(instance.name).map { ($0.host, $0.pid) } ?? (nil, nil)
            return Listed(
                instance: instance.name, host: host, pid: pid, address: instance.address, listeningSince: instance.since.map(MessagePayload.timestamp))
        }
        let mine = listening.first(where: isHere)
        let me = Listed(
            instance: here.instance, host: here.host, pid: here.pid, address: mine?.address, listeningSince: mine?.since.map(MessagePayload.timestamp),
            here: true)
        return [me] + others.sorted { ($0.host ?? "", $0.pid ?? 0, $0.instance) < ($1.host ?? "", $1.pid ?? 0, $1.instance) }
    }

    /// The instances listening now other than this one; nil without a relay or when it cannot tell.
    func others() async throws -> [ListeningInstance]? {
        try await relay?.listeningInstances()?.filter { !isHere($0) }
    }

    /// Whether `instance` is this one: PostgreSQL may keep only the start of a long name.
    func isHere(_ instance: ListeningInstance) -> Bool {
        !instance.name.isEmpty && here.instance.hasPrefix(instance.name)
    }
}
