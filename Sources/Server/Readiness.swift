import Synchronization

/// Whether the server still wants new requests. `HTTPServer.shutdown()` withdraws it first and keeps serving
/// for `Configuration.shutdownDelay` before it stops accepting: a readiness route that reports it (503) tells a
/// load balancer's health check to send traffic elsewhere while nothing is refused yet.
///
/// Made before the server, so routes registered on its `Router` can read it; given to `HTTPServer.init`.
public final class Readiness: Sendable {
    private let withdrawn = Atomic<Bool>(false)

    public init() {}

    public var isWithdrawn: Bool { withdrawn.load(ordering: .relaxed) }

    func withdraw() {
        withdrawn.store(true, ordering: .relaxed)
    }
}
