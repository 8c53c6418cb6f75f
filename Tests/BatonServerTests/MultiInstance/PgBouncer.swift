import Foundation
import ProcessSpawning

/// A real PgBouncer (Debian's package, `scripts/install-test-deps`) in transaction mode in front of the tests'
/// PostgreSQL server, on a free loopback port, as operators run it: each transaction may be served by another
/// server connection, so nothing that belongs to a session (LISTEN, session advisory locks, SET) survives.
final class PgBouncer: Sendable {
    let port: Int
    let folder: URL
    private let process: SpawnedProcess
    /// What it logged.
    private let lines: LineWatch

    static var executable: String? {
        ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init(port: Int, folder: URL, process: SpawnedProcess, lines: LineWatch) {
        self.port = port
        self.folder = folder
        self.process = process
        self.lines = lines
    }

    /// Starts PgBouncer in front of the server `url` names, with at most `poolSize` server connections per
    /// database, and returns once it listens.
    static func start(before url: String, poolSize: Int) async throws -> PgBouncer {
        guard let executable else { throw ChatError.unexpected("pgbouncer is not installed (scripts/install-test-deps installs it)") }
        guard let server = URLComponents(string: url), let host = server.host, let serverPort = server.port, let user = server.user,
            let password = server.password
        else { throw ChatError.unexpected("not a server URL with a user and a password") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("baton-pgbouncer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let port = try LoopbackPort.free()
        // The plain password lets PgBouncer answer the client's SCRAM and log in to the server with SCRAM too.
        try "\"\(user)\" \"\(password)\"\n".write(to: folder.appendingPathComponent("users.txt"), atomically: true, encoding: .utf8)
        try """
            [databases]
            * = host=\(host) port=\(serverPort)

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = \(folder.path)/users.txt
            pool_mode = transaction
            default_pool_size = \(poolSize)
            max_client_conn = 500
            """.write(to: folder.appendingPathComponent("pgbouncer.ini"), atomically: true, encoding: .utf8)
        for file in ["users.txt", "pgbouncer.ini"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder.appendingPathComponent(file).path)
        }

        let lines = LineWatch()
        // PgBouncer refuses to run as root: it then runs as the server's system user.
        let process = try ChildProcesses.spawn(
            executable, arguments: (getuid() == 0 ? ["-u", "postgres"] : []) + [folder.appendingPathComponent("pgbouncer.ini").path],
            standardError: .pipe(ChildProcesses.forwardingPipe { lines.add($0) })
        )
        let bouncer = PgBouncer(port: port, folder: folder, process: process, lines: lines)
        guard await lines.first(upTo: .seconds(20), where: { $0.contains("process up") }) != nil else {
            bouncer.stop()
            throw ChatError.timedOut(waitingFor: "pgbouncer to listen on \(port)")
        }
        return bouncer
    }

    /// `url` with PgBouncer's address in place of the server's.
    func url(for url: String) -> String {
        var components = URLComponents(string: url)!
        components.host = "127.0.0.1"
        components.port = port
        return components.string!
    }

    /// The server connections PgBouncer opened to `database` so far (it logs each).
    func serverConnections(to database: String) -> Int {
        lines.all.filter { $0.contains("new connection to server") && $0.contains(database + "/") }.count
    }

    /// SIGKILL: it is thrown away with its test (SIGTERM left PgBouncer 1.18 waiting for its clients).
    func stop() {
        process.send(SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}
