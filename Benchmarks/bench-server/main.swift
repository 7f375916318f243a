import Glibc
import Logging
import Server

// The three routes every peer in Benchmarks/peers serves, on our listener, without the app (and the
// first through middleware, below):
// it measures the HTTP layer alone. Usage: bench-server --port N --root DIR [--loops N]
var port = 8080
var root = "."
var loops = HTTPServer.Configuration.defaultEventLoopCount
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard let value = arguments.next() else { fatalError("missing value for \(flag)") }
    switch flag {
    case "--port": port = Int(value) ?? port
    case "--root": root = value
    case "--loops": loops = Int(value) ?? loops
    default: fatalError("unknown flag \(flag)")
    }
}

let router = Router()
router.get("/healthz") { _ in .text("ok") }
// The same answer through middleware, for Benchmarks/middleware-cost.sh: /mw/healthz through what the
// application's /healthz passes (its router-wide response headers), /chain/healthz through a list like
// a signed-in user's group (headers, busy recovery, origin check, rate limit).
router.group("/mw").add(middleware: ResponseHeadersStandIn()).get("healthz") { _ in .text("ok") }
router.group("/chain")
    .add(middleware: ResponseHeadersStandIn())
    .add(middleware: RecoveryStandIn())
    .add(middleware: OriginCheckStandIn())
    .add(middleware: RateLimitStandIn())
    .get("healthz") { _ in .text("ok") }
router.get("/redirect") { _ in .redirect(to: "/static/4k.bin") }
let files = try StaticFiles(root: root)
router.get("/static/:name") { request in
    var fileRequest = request
    fileRequest.head.path = "/" + (request.parameters["name"] ?? "")
    return files.respond(to: fileRequest)
}

var logger = Logger(label: "bench-server")
logger.logLevel = .warning
let configuration = HTTPServer.Configuration(host: "127.0.0.1", port: port, maxConnections: 19_000, eventLoopCount: loops)
let server = try HTTPServer(configuration: configuration, router: router, logger: logger)
try server.start()
print("bench-server listening on \(server.port)")
signal(SIGTERM, SIG_DFL)
while true { pause() }
