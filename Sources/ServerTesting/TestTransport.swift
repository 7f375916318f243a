import Glibc
public import HTTP1
import HTTPTypes
public import Logging
public import Server
import Locking

/// How a test reaches the routes under test, as in HummingbirdTesting: `.router` runs each request straight
/// through the route table (its middleware, handlers and error rendering) without a socket; `.live` sends it
/// over loopback to a running server. Tests about the routes use `.router`; tests about the wire (framing,
/// timeouts, limits, malformed or split requests, streams that never end) use `.live` and a `TestClient`.
public enum TestMode: Sendable {
    case router
    case live
}

/// Sends one request, written as raw HTTP/1.1 bytes, and returns its answer, by either mode. The same test
/// text works for both: in router mode the bytes are parsed by the server's own decoder and must hold one
/// complete, well-formed request.
public struct TestTransport: Sendable {
    private enum Target: Sendable {
        case router(RouteTable, limits: HTTPLimits, logger: Logger)
        case live(port: Int, timeoutSeconds: Int)
    }

    private let target: Target

    public var mode: TestMode {
        switch target {
        case .router: .router
        case .live: .live
        }
    }

    public static func router(_ routes: RouteTable, limits: HTTPLimits = HTTPLimits(), logger: Logger = quietLogger) -> TestTransport {
        TestTransport(target: .router(routes, limits: limits, logger: logger))
    }

    /// A new loopback connection for each request.
    public static func live(port: Int, timeoutSeconds: Int = 10) -> TestTransport {
        TestTransport(target: .live(port: port, timeoutSeconds: timeoutSeconds))
    }

    public static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    public func execute(_ request: String) async throws -> TestResponse {
        try await execute(Array(request.utf8))
    }

    public func execute(_ request: [UInt8]) async throws -> TestResponse {
        let isHead = request.starts(with: Array("HEAD ".utf8))
        switch target {
        case .live(let port, let timeoutSeconds):
            let client = try await TestClient(port: port, timeoutSeconds: timeoutSeconds)
            await client.send(request)
            return try await client.readResponse(head: isHead)
        case .router(let routes, let limits, let logger):
            let (head, body) = try Self.parse(request, limits: limits)
            let response = await routes.respond(to: head, body: body, maxBodySize: limits.maxBodySize, logger: logger)
            return try await TestResponse(response)
        }
    }

    /// One whole request through the server's decoder, its body unbounded here (the route's limit is the
    /// responder's to apply, as the server does from the head).
    private static func parse(_ bytes: [UInt8], limits: HTTPLimits) throws -> (HTTPRequestHead, [UInt8]) {
        var decoder = HTTPRequestDecoder(limits: limits)
        decoder.append(bytes)
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let parsed):
                    head = parsed
                    decoder.bodyLimit = .max
                case .body(let bytes):
                    body += bytes
                case .end:
                    guard let head, decoder.bufferedByteCount == 0 else {
                        throw TestClientError.routerMode("one request at a time in router mode; pipelining is for .live")
                    }
                    return (head, body)
                }
            }
        } catch let error as HTTPParseError {
            throw TestClientError.routerMode("a malformed request (\(error.status.code) \(error.reason)) is for .live")
        }
        throw TestClientError.routerMode("an incomplete request is for .live")
    }
}

extension TestResponse {
    /// The answer as a client would read it: a file's bytes, a stream's chunks decoded (so the stream must end).
    init(_ response: Response) async throws {
        let headers = response.headerFields.map { ($0.name.canonicalName, $0.value) }
        let body: [UInt8]
        switch response.body {
        case .empty:
            body = []
        case .bytes(let bytes):
            body = bytes
        case .file(let file, let length):
            var bytes = [UInt8](repeating: 0, count: length)
            var read = 0
            while read < length {
                let count = bytes.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress! + read, length - read, off_t(read)) }
                guard count > 0 else { throw TestClientError.closed("a file shorter than its length") }
                read += count
            }
            body = bytes
        case .stream(let write):
            let collected = PThreadMutex<[UInt8]>([])
            try await write(ResponseBodyWriter { bytes in collected.withLock { $0 += bytes } })
            body = collected.withLock { $0 }
        }
        self.init(status: response.status.code, headers: headers, body: body)
    }
}
