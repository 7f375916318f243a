import HTTP1
import HTTPTypes

/// A request whose head was read: routed, identified, timed from its head, and its body as it arrives.
struct PendingRequest {
    let head: HTTPRequestHead
    let resolution: RouteTable.Resolution
    let id: String
    let startedAt: UInt64
    var body: [UInt8] = []

    /// The metrics label; a refusal before any head was read is `malformed`.
    static func routeLabel(of request: PendingRequest?) -> String {
        switch request?.resolution {
        case .route(_, _, _, let label, _)?: label
        case .notFound?, .methodNotAllowed?: RouteTable.unmatchedLabel
        case nil: RouteTable.malformedLabel
        }
    }

    /// Errors are rendered in the format of the group whose route the request matched.
    var renderError: ErrorRenderer {
        switch resolution {
        case .route(_, _, _, _, let renderError), .methodNotAllowed(_, let renderError), .notFound(let renderError): renderError
        }
    }

    /// The path, or for CONNECT the authority it asked for, rather than a "/" it never sent.
    var target: Substring {
        guard let path = head.request.path else { return Substring(head.request.authority ?? "-") }
        return Request.path(of: path)
    }
}
