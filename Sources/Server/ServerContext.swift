import Logging
import Synchronization

/// What every connection of one server shares.
final class ServerContext: Sendable {
    let configuration: HTTPServer.Configuration
    let router: RouteTable
    let logger: Logger
    let metrics: ServerMetrics
    let openConnections = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)

    init(configuration: HTTPServer.Configuration, router: RouteTable, logger: Logger, metrics: ServerMetrics) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.metrics = metrics
    }

    func connectionOpened() {
        openConnections.add(1, ordering: .relaxed)
        metrics.openConnections.increment()
    }

    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
        metrics.openConnections.decrement()
    }
}
