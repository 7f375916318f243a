import Logging
import Synchronization
import CoreMetrics

/// What every connection of one server shares.
final class ServerContext: Sendable {
    let configuration: HTTPServer.Configuration
    let router: RouteTable
    let logger: Logger
    let metrics: ServerMetrics
    let openConnections = Atomic<Int>(0)
    /// Withdrawn when shutdown begins: answers from then on close their connection.
    let readiness: Readiness
    /// Set when the listeners close, `shutdownDelay` later: idle connections are closed, streams cut.
    let draining = Atomic<Bool>(false)
    /// Request body bytes held or promised by all connections; bounded by `maxBufferedBodyBytes`.
    let bufferedBodyBytes = Atomic<Int>(0)

    init(configuration: HTTPServer.Configuration, router: RouteTable, readiness: Readiness, logger: Logger, metrics: ServerMetrics) {
        self.configuration = configuration
        self.readiness = readiness
        self.router = router
        self.logger = logger
        self.metrics = metrics
    }

    func connectionOpened() {
        openConnections.add(1, ordering: .relaxed)
        metrics.openConnections.increment()
    }

    /// Takes `count` bytes from the server-wide body budget, all or none.
    func reserveBodyBytes(_ count: Int) -> Bool {
        var held = bufferedBodyBytes.load(ordering: .relaxed)
        while true {
            guard count <= configuration.maxBufferedBodyBytes - held else { return false }
            let (exchanged, original) = bufferedBodyBytes.compareExchange(
                expected: held, desired: held + count, ordering: .relaxed
            )
            if exchanged { return true }
            held = original
        }
    }

    func releaseBodyBytes(_ count: Int) {
        guard count > 0 else { return }
        bufferedBodyBytes.subtract(count, ordering: .relaxed)
    }

    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
        metrics.openConnections.decrement()
    }
}
