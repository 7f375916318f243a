import CoreMetrics
import Foundation
import Prometheus
import Server

/// One Prometheus registry per Application (tests run many in one process), handed to the server
/// and the Fullscript client as a swift-metrics factory; the app's own counters are named here.
/// Every label value comes from a fixed set, never from what a client or Fullscript sends.
final class AppMetrics: Sendable {
    enum WebhookOutcome: String {
        /// Verified and stored: acknowledged to Fullscript.
        case accepted
        case duplicate
        /// A missing, stale or wrong signature.
        case rejected
        /// Signed but not a Fullscript event.
        case malformed
        case applied, ignored, failed, retrying
    }

    enum RefreshOutcome: String {
        case refreshed
        /// Fullscript refused the refresh token: the user must connect again.
        case refused
        case failed
    }

    static let webhookEventsTotal = "fullscript_webhook_events_total"
    static let tokenRefreshesTotal = "fullscript_token_refreshes_total"

    let factory: PrometheusMetricsFactory
    private let registry: PrometheusCollectorRegistry
    private let openPlanStreams: Meter

    init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Our answers take a millisecond or two; Fullscript's, tens to hundreds.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ]
        self.registry = registry
        self.factory = factory
        openPlanStreams = Meter(label: "plan_streams_open", factory: factory)
    }

    func webhookEvent(type: String, _ outcome: WebhookOutcome) {
        let type = WebhookProcessor.planEventTypes.contains(type) ? type : "other"
        CoreMetrics.Counter(label: Self.webhookEventsTotal, dimensions: [("type", type), ("outcome", outcome.rawValue)], factory: factory)
            .increment()
    }

    func tokenRefresh(_ outcome: RefreshOutcome) {
        CoreMetrics.Counter(label: Self.tokenRefreshesTotal, dimensions: [("outcome", outcome.rawValue)], factory: factory).increment()
    }

    /// The text exposition format, with the stream gauge read at this moment.
    func exposition(openPlanStreams streams: Int) -> [UInt8] {
        openPlanStreams.set(streams)
        return registry.emitToBuffer()
    }
}
