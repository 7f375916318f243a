import Glibc
public import HTTP1
import HTTPTypes
public import Logging
import Locking

extension RouteTable {
    /// Answers one complete, well-formed request the way a connection does once it has read the request's
    /// head and body, but without a socket: the CONNECT refusal, the route, its middleware and handler, the
    /// route's body limit, unrouted requests, thrown errors rendered by the route's group, and the fields the
    /// server adds (`Date`, `X-Request-Id`, `Content-Length` or chunked framing, `Connection`). A HEAD
    /// answer loses its body. The body is otherwise as the handler gave it (a file or a stream is not read).
    ///
    /// For tests that are about the routes rather than the wire (ServerTesting's router mode, as
    /// HummingbirdTesting's `.router`): framing, timeouts, limits on heads and malformed requests stay with
    /// `HTTPServer`. `maxBodySize` is the server's default body limit (`HTTPLimits.maxBodySize`).
    public func respond(
        to head: HTTPRequestHead, body: [UInt8], remoteAddress: String = "127.0.0.1",
        maxBodySize: Int = HTTPLimits().maxBodySize, logger: Logger = Logger(label: "router")
    ) async -> Response {
        let offered = head.request.headerFields[.xRequestID]
        let id = offered.flatMap { RequestIDGenerator.isAcceptable($0) ? $0 : nil } ?? Self.requestIDs.withLock { $0.next() }
        let path = Request.path(of: head.request.path)
        var response: Response
        var closes = false
        if head.request.method == .connect {
            response = renderError(HTTPError(.notImplemented), Substring(head.request.authority ?? "-"), id)
            closes = true
        } else {
            let resolution = resolve(method: head.request.method, path: path)
            if let unrouted = resolution.unroutedResponse(path: path, id: id) {
                // No route takes it, so a body is refused unread and the connection closes.
                response = unrouted
                closes = head.framing.carriesBody
            } else if case .route(let handler, let parameters, let limit, _, let renderError) = resolution {
                if body.count > limit ?? maxBodySize {
                    let error = HTTPParseError.bodyTooLarge
                    response = renderError(HTTPError(error.status, error.reason), path, id)
                    closes = true
                } else {
                    let request = Request(head: head.request, body: body, parameters: parameters, id: id, remoteAddress: remoteAddress)
                    response = await Self.answer(request, with: handler, renderError: renderError, logger: logger)
                }
            } else {
                preconditionFailure("a resolution is a route or has an unrouted answer")
            }
        }
        return Self.framed(response, id: id, head: head, closes: closes)
    }

    private static let requestIDs = PThreadMutex(RequestIDGenerator())

    /// The head and body a connection would send for `response` (`ResponseFraming`, which `Connection` uses).
    /// `closes` is the server's own reason to close (CONNECT, a body it did not read).
    private static func framed(_ response: Response, id: String, head: HTTPRequestHead, closes: Bool) -> Response {
        let exchange = Exchange(
            id: id, method: head.request.method, path: Request.path(of: head.request.path), route: "",
            version: head.version, keepAlive: head.keepAlive, startedAt: 0
        )
        let framing = ResponseFraming(response, answering: exchange, mayKeepAlive: !closes, date: HTTPDate.format(Int(time(nil))))
        let body: ResponseBody
        switch framing.body {
        case .none: body = .empty
        case .bytes(let bytes): body = .bytes(bytes)
        case .file(let file, let length): body = .file(file, length: length)
        case .stream(let write, _): body = .stream(write)
        }
        return Response(status: framing.head.status, headerFields: framing.head.headerFields, body: body)
    }
}
