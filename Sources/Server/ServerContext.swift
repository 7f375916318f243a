import Logging
import Synchronization

/// What every connection of one server shares.
final class ServerContext: Sendable {
    let configuration: HTTPServer.Configuration
    let router: Router
    let logger: Logger
    let openConnections = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)

    init(configuration: HTTPServer.Configuration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }
}
