public import Server
public import ServiceLifecycle

/// An HTTP server as a `Service`: it serves from `run` until the group shuts down gracefully (on SIGTERM or
/// SIGINT), then withdraws its readiness and serves on for `http.shutdown_delay_ms`, drains (no new connections,
/// idle ones closed, in-flight requests answered with `Connection: close` within `http.shutdown_grace_ms`) and returns.
public struct HTTPServerService: Service {
    let server: HTTPServer

    public init(server: HTTPServer) {
        self.server = server
    }

    public func run() async throws {
        try server.start()
        // Returns on graceful shutdown, throws if the group is cancelled instead: either way, drain. The
        // drain is bounded by the server's own grace period, so it needs no cancellation of its own; a
        // cancellation ends the delay before it.
        try? await gracefulShutdown()
        await server.shutdown()
    }
}
