import Foundation
import Fullscript
import HTTPTypes
import Logging
import Server

/// `POST /webhooks/fullscript`, the URL given in Fullscript's Webhook Settings; in the two-region
/// form, the other region's app has its own, `POST /webhooks/fullscript/ca` (or `/us`), since each
/// app signs with its own secret and expects its own challenge back, even on the empty handshake.
///
/// Fullscript first posts an empty body and expects `{"challenge": "<token>"}` within 2 seconds,
/// then posts the signed event and expects the same answer. So the answer never waits on anything
/// slow: an empty body is answered at once, and an event is verified, stored raw (deduplicated on
/// its id) and acknowledged; the processor applies it afterwards. An event stored is an event
/// kept: a crash before processing leaves it pending for the next start.
struct WebhookRoutes: Sendable {
    /// The group all webhook receivers live in, and ours in it.
    static let prefix = "/webhooks"
    static let path = prefix + "/fullscript"
    /// Plan events are a few KiB; this leaves room for large plans without accepting uploads.
    static let maxBodySize = 256 * 1024

    /// nil: webhooks are not configured, every delivery gets a 503 saying so.
    var settings: WebhookSettings?
    let inbox: WebhookEventStore
    let router: WebhookTenantRouter
    let processor: WebhookProcessor
    let metrics: AppMetrics
    let logger: Logger
    let now: @Sendable () -> Date
    /// Below the group: `fullscript`, or `fullscript/<region>` for the two-region form's other app.
    var name = "fullscript"

    func register(on router: RouterGroup) {
        router.post(name, body: .bytes(Self.maxBodySize)) { try await receive($0) }
    }

    func receive(_ request: Request) async throws -> Response {
        guard let settings else {
            return APIError.response(.serviceUnavailable, code: "webhooks_not_configured",
                                     message: "Webhooks are not configured on this server: set FULLSCRIPT_WEBHOOK_CHALLENGE and FULLSCRIPT_WEBHOOK_SECRET.",
                                     requestID: request.id)
        }
        // The handshake. Whether Fullscript signs it is undocumented, so it is not checked; it
        // reveals nothing but the challenge, which every acknowledgement carries anyway.
        guard !request.body.isEmpty else { return Self.acknowledgement(settings) }
        do {
            try WebhookSignature.verify(header: request.head.headerFields[Self.signatureField], body: request.body,
                                        secrets: settings.secrets, now: now())
        } catch {
            // Never the body (patient data) nor the signature (a forgery's material) in the log.
            logger.warning("webhook refused", metadata: ["reason": "\(error)", "request_id": "\(request.id)",
                                                         "remote": "\(request.remoteAddress)", "bytes": "\(request.body.count)"])
            metrics.webhookEvent(type: "", .rejected)
            return APIError.response(.unauthorized, code: "invalid_signature", message: "Webhook refused: \(error).", requestID: request.id)
        }
        let event: FullscriptEvent
        do {
            event = try FullscriptEvent(webhookBody: request.body)
        } catch {
            logger.warning("webhook unreadable", metadata: ["reason": "\(error.reason)", "request_id": "\(request.id)"])
            metrics.webhookEvent(type: "", .malformed)
            return APIError.response(.badRequest, code: "malformed_event",
                                     message: "The body is not a Fullscript event (\(error.reason)).", requestID: request.id)
        }
        let route = try await router.route(event)
        if try await inbox.insert(event, tenant: route.tenant, unclaimedBecause: route.unclaimedBecause, body: request.body, at: now()) {
            metrics.webhookEvent(type: event.type, .accepted)
            processor.signal()
        } else {
            metrics.webhookEvent(type: event.type, .duplicate)
            // Fullscript retries what it thinks failed: the repeat is acknowledged and changes nothing.
            logger.info("webhook event", metadata: ["event_id": "\(event.id)", "type": "\(event.type)", "outcome": "duplicate"])
        }
        return Self.acknowledgement(settings)
    }

    private static func acknowledgement(_ settings: WebhookSettings) -> Response {
        var response = Response.json(JSONBody.encode(["challenge": settings.challenge]))
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    static let signatureField = HTTPField.Name("Fullscript-Signature")!
}
