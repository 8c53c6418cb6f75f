import Foundation
import Hummingbird

/// The admin page (`/admin`): a static page whose script asks for the admin token and reads the admin API with it.
/// The page holds no data, so it is served without the token; everything it shows comes from the API, which needs
/// it. Served with a strict Content-Security-Policy (its own script and style only, no framing).
enum AdminPage {
    static let files = ["index.html": "text/html; charset=utf-8", "admin.js": "text/javascript; charset=utf-8", "admin.css": "text/css; charset=utf-8"]

    static let contents: [String: ByteBuffer] = {
        var contents: [String: ByteBuffer] = [:]
        for file in files.keys {
            let name = (file as NSString).deletingPathExtension
            let type = (file as NSString).pathExtension
            if let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "admin"), let data = try? Data(contentsOf: url) {
                contents[file] = ByteBuffer(bytes: data)
            }
        }
        return contents
    }()

    static func addRoutes(to router: Router<AppRequestContext>) {
        router.get("admin") { _, _ in try response("index.html") }
        router.get("admin/assets/{file}") { _, context in try response(try context.parameters.require("file")) }
    }

    static func response(_ file: String) throws -> Response {
        guard let type = files[file], let body = contents[file] else { throw HTTPError(.notFound) }
        return Response(
            status: .ok,
            headers: [
                .contentType: type,
                .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                .init("X-Content-Type-Options")!: "nosniff",
                .init("Referrer-Policy")!: "no-referrer",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: body))
    }
}
