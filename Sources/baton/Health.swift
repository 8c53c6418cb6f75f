import ArgumentParser
import AsyncHTTPClient
import BatonConfig
import BatonServer
import Foundation
import NIOCore
import NIOHTTP1

/// `baton health`: whether the Baton on this machine is ready, for a container's health check (no curl in the image).
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the Baton running on this machine whether it is ready (GET /readyz); exit 0 when it is.",
        discussion: "The container image's health check. The port is the config's server.port (or BATON_SERVER_PORT).")

    @OptionGroup var options: ConfigOptions

    @Option(help: "The URL to ask instead of the config's (http://127.0.0.1:<server.port>/readyz).")
    var url: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 5

    func run() async throws {
        let target = try url ?? readinessURL()
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: target), timeout: .seconds(Int64(timeout)))
            let body = try await response.body.collect(upTo: 4_096)
            let said = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            guard response.status == .ok else {
                print("not ready: \(target) answered \(response.status.code) \(said)")
                throw ExitCode.failure
            }
            print("ready: \(target)")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("not ready: \(target): \(error)")
            throw ExitCode.failure
        }
    }

    /// The server's own `/readyz` from this machine, at the config's `server.port`.
    func readinessURL() throws -> String {
        let configuration = try Check.load(options.path()).0
        return configuration.localURL(port: configuration.server.port) + "/readyz"
    }
}
