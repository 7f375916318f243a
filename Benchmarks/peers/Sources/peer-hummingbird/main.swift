import Hummingbird
import PeerSupport

let options = PeerOptions.parse()

let router = Router()
router.get("healthz") { _, _ in "ok" }
router.get("redirect") { _, _ in Response.redirect(to: "/static/4k.bin", type: .found) }
// Idiomatic static files: requests under /static/ that match no route are served from ROOT.
router.add(middleware: FileMiddleware(options.root, urlBasePath: "/static"))

let app = Application(
    router: router,
    configuration: .init(
        address: .hostname("127.0.0.1", port: options.port),
        backlog: 4096
    )
)
try await app.runService()
