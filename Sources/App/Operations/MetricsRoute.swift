import CoreMetrics
import Foundation
import Prometheus
import Server
import HTTPTypes

/// `GET /metrics` for Prometheus, behind an operator key: counts by route and Fullscript endpoint say
/// how every practice of the deployment uses the product, which is no single practice's business.
struct MetricsRoute: Sendable {
    static let path = "/metrics"

    let metrics: AppMetrics
    let serviceKeys: ServiceKeyStore
    let planUpdates: PlanUpdates

    func register(on router: RouterGroup) {
        router.get(Self.path) { request in
            try await serviceKeys.authorizedOperatorRequest(request, only: "reads the deployment's metrics") { _ in
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
