import BatonCore
import CompressNIO
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The webchat's files, read and prepared once at start (`widget.js` again when a reload changes an endpoint's
/// branding): each with a strong `ETag` (a hash of its bytes) and a gzip copy, so a returning browser revalidates
/// for a `304` and a first visit downloads about a third of the bytes.
struct WebchatAssets: Sendable {
    /// One file, ready to serve.
    struct Asset: Sendable {
        let contentType: String
        let identity: ByteBuffer
        /// Only kept when it is smaller.
        let gzipped: ByteBuffer?
        /// The hash of the file's bytes; the gzip copy's tag adds `-gz` (another representation, another tag).
        let hash: String
    }

    /// Every file the webchat serves, by name: anything else is a 404, so no path reaches outside the bundle folder.
    static let contentTypes: [String: String] = [
        "index.html": "text/html; charset=utf-8",
        "webchat.js": "text/javascript; charset=utf-8",
        "webchat-texts.js": "text/javascript; charset=utf-8",
        "webchat.css": "text/css; charset=utf-8",
        "widget.js": "text/javascript; charset=utf-8",
    ]

    private let files: [String: Asset]
    /// `widget.js`, filled with the endpoints' branding as it stands (see ``brandsMarker``).
    let widget: Widget

    /// Where `widget.js` takes the endpoints' branding (their configs'), filled in here: the widget then needs no
    /// request of its own for it, so a host page's CSP need not let it connect anywhere.
    static let brandsMarker = "/*BATON_BRANDS*/{}"

    /// Reads the files from the bundle's `webchat` folder; `brands` (each endpoint's branding, by URL token, as it
    /// stands: a reload may change it) goes into `widget.js`.
    init(brands: @escaping @Sendable () -> JSONValue = { .emptyObject }) throws {
        var files: [String: Asset] = [:]
        var widgetSource = ""
        for (file, contentType) in Self.contentTypes {
            let url = Bundle.module.url(forResource: (file as NSString).deletingPathExtension, withExtension: (file as NSString).pathExtension, subdirectory: "webchat")
            guard let url else { throw HTTPError(.internalServerError, message: "the webchat file \(file) is missing from the bundle") }
            let data = try Data(contentsOf: url)
            if file == "widget.js" {
                widgetSource = String(decoding: data, as: UTF8.self)
            } else {
                files[file] = try Self.prepare(data, contentType: contentType)
            }
        }
        self.files = files
        widget = try Widget(source: widgetSource, brands: brands)
    }

    /// `widget.js` with the endpoints' branding in it: prepared again (its hash and gzip copy) when the branding is
    /// not what it was last filled with, so a reload's new look reaches the next page that loads the widget, and a
    /// browser's copy revalidates to the new one.
    final class Widget: Sendable {
        let source: String
        let brands: @Sendable () -> JSONValue
        private let filled: Mutex<(brands: JSONValue, asset: Asset)>

        init(source: String, brands: @escaping @Sendable () -> JSONValue) throws {
            self.source = source
            self.brands = brands
            let now = brands()
            filled = Mutex((now, try Self.prepare(source, filledWith: now)))
        }

        /// The file with `brands` in place of the marker, its hash and gzip copy made.
        static func prepare(_ source: String, filledWith brands: JSONValue) throws -> Asset {
            let filled = Data(source.replacingOccurrences(of: WebchatAssets.brandsMarker, with: brands.jsonText).utf8)
            return try WebchatAssets.prepare(filled, contentType: WebchatAssets.contentTypes["widget.js"]!)
        }

        /// The file for the branding as it stands now.
        var asset: Asset {
            let now = brands()
            return filled.withLock { filled in
                guard filled.brands != now, let asset = try? Self.prepare(source, filledWith: now) else { return filled.asset }
                filled = (now, asset)
                return asset
            }
        }
    }

    static func prepare(_ data: Data, contentType: String) throws -> Asset {
        var identity = ByteBuffer(bytes: data)
        var source = identity
        let gzipped = try source.compress(with: .gzip(configuration: .init(compressionLevel: .bestCompression)))
        let hash = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
        identity.moveReaderIndex(to: 0)
        return Asset(contentType: contentType, identity: identity, gzipped: gzipped.readableBytes < identity.readableBytes ? gzipped : nil, hash: hash)
    }

    /// The file as this request should get it: gzipped when the client accepts gzip, `304` when the client's copy
    /// (`If-None-Match`) is current; `nil` for a name that is not a webchat file.
    func response(_ file: String, to request: Request, cacheControl: String) -> Response? {
        guard let asset = file == "widget.js" ? widget.asset : files[file] else { return nil }
        let gzip = asset.gzipped != nil && Self.acceptsGzip(request.headers[.acceptEncoding])
        let etag = "\"\(asset.hash)\(gzip ? "-gz" : "")\""
        var headers: HTTPFields = [.contentType: asset.contentType, .cacheControl: cacheControl, .eTag: etag, .vary: "Accept-Encoding"]
        if let tags = request.headers[.ifNoneMatch], Self.matches(tags, hash: asset.hash) {
            return Response(status: .notModified, headers: headers)
        }
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: gzip ? asset.gzipped! : asset.identity))
    }

    /// Whether `Accept-Encoding` allows gzip: `gzip` or `*` listed with a quality above 0.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.lowercased().split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.first == "gzip" || fields.first == "*" else { return false }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    /// Whether `If-None-Match` names either representation of this file (weak comparison, as the header asks).
    static func matches(_ header: String, hash: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            let opaque = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
            return opaque == "*" || opaque == "\"\(hash)\"" || opaque == "\"\(hash)-gz\""
        }
    }
}
