import CoreMetrics
import HTTPTypes
import Locking

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
    /// The series made so far, so that a request does not ask the factory (a lookup under its lock) for them again.
    private let series = PThreadMutex<[SeriesKey: Series]>([:])

    private struct SeriesKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct Series {
        let requests: Counter
        let duration: Timer
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
        openConnections = Meter(label: Self.openConnections, factory: factory)
    }

    /// Latency is to the response head: for a stream, the time until it started.
    func record(method: HTTPRequest.Method?, route: String, status: Int, nanoseconds: UInt64) {
        let key = SeriesKey(method: Self.label(for: method), route: route, status: status)
        let series = series.withLock { known in
            if let series = known[key] { return series }
            let dimensions = [("method", key.method), ("route", key.route), ("status", String(key.status))]
            let series = Series(requests: Counter(label: Self.requestsTotal, dimensions: dimensions, factory: factory),
                                duration: Timer(label: Self.requestDuration, dimensions: dimensions, factory: factory))
            known[key] = series
            return series
        }
        series.requests.increment()
        series.duration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    private static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .delete, .patch, .options, .connect, .trace]

    private static func label(for method: HTTPRequest.Method?) -> String {
        guard let method, knownMethods.contains(method) else { return "other" }
        return method.rawValue
    }
}
