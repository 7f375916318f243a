import CoreMetrics
import Foundation
import Prometheus
import Server
import HTTPTypes

/// `GET /metrics` for Prometheus, behind a service key like the rest of the internal API: counts by
/// route and Fullscript endpoint say how the clinic uses the product, which is nobody else's business.
struct MetricsRoute: Sendable {
    static let path = "/metrics"

    let metrics: AppMetrics
    let serviceKeys: ServiceKeyStore
    let planUpdates: PlanUpdates

    func register(on router: RouterGroup) {
        router.get(Self.path) { request in
            try await serviceKeys.authorizedRequest(request) { _, _ in
                let body = metrics.exposition(openPlanStreams: planUpdates.openStreams)
                return Response(
                    status: .ok,
                    headerFields: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                    body: .bytes(body)
                )
            }
        }
    }
}
