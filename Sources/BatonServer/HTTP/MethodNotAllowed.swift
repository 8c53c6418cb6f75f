import HTTPTypes
import Hummingbird

/// Answers a method a path does not serve with `405 Method Not Allowed` and the `Allow` header, as HTTP asks,
/// instead of the router's 404 (which says the path does not exist, and it does).
enum MethodNotAllowed {
    /// The methods a client may try on a path (QUERY is the draft safe method with a body); HEAD is left to the framework.
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .trace, .connect, HTTPRequest.Method("QUERY")!]

    /// Adds a 405 route for every method each of the router's paths does not serve. Call it after every route is added.
    static func register<Context: RequestContext>(on router: Router<Context>) {
        let served = Dictionary(grouping: router.routes, by: { $0.path.description })
        for (_, routes) in served {
            guard let path = routes.first?.path else { continue }
            let allowed = Set(routes.map(\.method))
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in methods where !allowed.contains(method) {
                router.on(path, method: method) { _, _ -> Response in
                    var response = try APIError(.methodNotAllowed, "method_not_allowed", "this path answers \(allow)").response()
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }
}
