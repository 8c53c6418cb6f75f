import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The webchat's files are sent gzipped to browsers that accept it, with strong validators, so a returning visitor
/// revalidates with a `304` instead of downloading them again.
@Suite("Webchat assets: compression and validators")
struct WebchatAssetsTests {
    static let files: [(path: String, cacheControl: String)] = [
        ("/widget.js", "public, max-age=300"), ("/webchat/assets/webchat.js", "no-cache"), ("/webchat/assets/webchat.css", "no-cache"),
        ("/webchat/t0k3n", "no-cache"),
    ]

    @Test func filesAreGzippedForBrowsersThatAcceptItAndPlainForOthers() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            for (path, cacheControl) in Self.files {
                let plain = try await client.execute(uri: path, method: .get)
                #expect(plain.status == .ok)
                #expect(plain.headers[.contentEncoding] == nil, "\(path): no encoding the client did not ask for")
                #expect(plain.headers[.cacheControl] == cacheControl)
                #expect(plain.headers[.vary] == "Accept-Encoding")
                let gzipped = try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
                #expect(gzipped.headers[.contentEncoding] == "gzip", "\(path)")
                #expect(gzipped.body.readableBytes * 2 < plain.body.readableBytes, "\(path): \(gzipped.body.readableBytes) of \(plain.body.readableBytes) bytes")
                var compressed = gzipped.body
                #expect(try compressed.decompress(with: .gzip()) == plain.body, "\(path): the same file")
                #expect(gzipped.headers[.eTag] != plain.headers[.eTag], "each representation has a tag of its own")
                let refused = try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "gzip;q=0, identity"])
                #expect(refused.headers[.contentEncoding] == nil, "\(path): q=0 refuses gzip")
            }
        }
    }

    @Test func aCurrentCopyIsRevalidatedWithA304AndAStaleOneGetsTheFile() async throws {
        let app = try await TestBaton.app()
        try await app.test(.router) { client in
            for (path, _) in Self.files {
                let first = try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "gzip"])
                let tag = try #require(first.headers[.eTag])
                #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""), "a strong validator")
                let again = try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: tag])
                #expect(again.status == .notModified, "\(path)")
                #expect(again.body.readableBytes == 0)
                #expect(again.headers[.eTag] == tag)
                let stale = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"0123456789abcdef\""])
                #expect(stale.status == .ok)
                #expect(stale.body.readableBytes > 0)
            }
        }
    }
}
