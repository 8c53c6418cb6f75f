import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Pages and health")
struct PagesAndHealthTests {
    @Test func healthAndReadiness() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8", "as docs/openapi.yaml says")
                #expect(String(buffer: response.body) == "ready\n")
            }
        }
    }

    /// A method a path does not serve is a 405 with `Allow`, not the 404 of a path that does not exist.
    @Test func methodsAPathDoesNotServeAre405WithAllow() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/api/v1/endpoints/t0k3n/messages", .delete, "POST"), ("/api/v1/endpoints/t0k3n/messages", .get, "POST"),
                ("/readyz", .put, "GET"), ("/api/v1/endpoints/t0k3n/sessions/s_1/messages", .trace, "GET"),
                ("/healthz", HTTPRequest.Method("QUERY")!, "GET"),
            ]
            for (path, method, allow) in cases {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow)
                    #expect(String(buffer: response.body).contains("method_not_allowed"))
                }
            }
            try await client.execute(uri: "/no/such/path", method: .delete) { #expect($0.status == .notFound) }
        }
    }

    @Test func theWebchatPageIsServedUnderAStrictPolicy() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/webchat/t0k3n", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
                #expect(String(buffer: response.body).contains("/webchat/assets/webchat.js"))
            }
            try await client.execute(uri: "/webchat/assets/webchat.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(!String(buffer: response.body).contains("innerHTML"), "agent and bot text is never parsed as HTML")
            }
            try await client.execute(uri: "/webchat/assets/webchat.css", method: .get) { #expect($0.status == .ok) }
            for path in ["/webchat/assets/..%2F..%2FPackage.swift", "/webchat/assets/index.html", "/webchat/nope"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound, "\(path)") }
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/webchat/t0k3n")
            }
        }
    }
}
