import CoreMetrics
import HTTPTypes

/// Open connections, and counts and latencies of answered requests labelled by method, route pattern
/// and status. The route is the pattern a request matched (or `static`, `unmatched`, `malformed`),
/// never the path the client sent, and unknown methods share one label, so a client cannot grow the
/// number of series.
struct ServerMetrics: Sendable {
    static let requestsTotal = "http_requests_total"
    static let requestDuration = "http_request_duration_seconds"
    static let openConnections = "http_open_connections"

    let factory: any MetricsFactory
    let openConnections: Meter

    init(factory: any MetricsFactory) {
        self.factory = factory
        openConnections = Meter(label: Self.openConnections, factory: factory)
    }

    /// Latency is to the response head: for a stream, the time until it started.
    func record(method: HTTPRequest.Method?, route: String, status: Int, nanoseconds: UInt64) {
        let dimensions = [("method", Self.label(for: method)), ("route", route), ("status", String(status))]
        Counter(label: Self.requestsTotal, dimensions: dimensions, factory: factory).increment()
        Timer(label: Self.requestDuration, dimensions: dimensions, factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    private static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .delete, .patch, .options, .connect, .trace]

    private static func label(for method: HTTPRequest.Method?) -> String {
        guard let method, knownMethods.contains(method) else { return "other" }
        return method.rawValue
    }
}
