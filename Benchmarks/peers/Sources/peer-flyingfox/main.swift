import FlyingFox
import Foundation
import PeerSupport

let options = PeerOptions.parse()

let server = HTTPServer(
    address: try .inet(ip4: "127.0.0.1", port: UInt16(options.port)),
    logger: .disabled  // the default logger prints every connection and request
)
await server.appendRoute("GET /healthz") { _ in
    HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain"], body: Data("ok".utf8))
}
await server.appendRoute("GET /redirect") { _ in
    HTTPResponse(statusCode: .found, headers: [.location: "/static/4k.bin"])
}
await server.appendRoute(
    "GET /static/4k.bin",
    to: FileHTTPHandler(
        path: URL(fileURLWithPath: options.root).appendingPathComponent("4k.bin"),
        contentType: "application/octet-stream"
    )
)
try await server.run()
