import Foundation

/// Delivers a webhook: the app injects a sender built on its HTTP client (POST url, headers, body → status and body).
public typealias WebhookSender = @Sendable (_ url: String, _ headers: [(String, String)], _ body: [UInt8]) async throws -> (status: Int, body: [UInt8])

/// One delivery as Fullscript makes it: an empty-body POST that must echo the challenge within two
/// seconds, then the signed event. Failed deliveries are not retried: Fullscript's retries come
/// minutes to hours later, beyond any test.
struct WebhookDelivery: Sendable {
    static let handshakeTimeout: Duration = .seconds(2)
    static let eventTimeout: Duration = .seconds(10)

    let url: String
    let challenge: String
    let signer: WebhookSigner
    let send: WebhookSender

    /// True when the app acknowledged both posts. The event keeps its id, so an app that also reads
    /// the events API sees the same event twice and can tell.
    func deliver(_ event: ClinicEvent, at date: Date) async -> Bool {
        let handshake = await post(headers: [("Content-Type", "application/json")], body: [], within: Self.handshakeTimeout)
        guard acknowledges(handshake) else { return false }
        let body = JSON.object([("event_payload", .object([("event", event.json)]))]).bytes
        let signature = signer.signature(timestamp: Int(date.timeIntervalSince1970), body: body)
        let headers = [("Content-Type", "application/json"), (WebhookSigner.headerName, signature)]
        return acknowledges(await post(headers: headers, body: body, within: Self.eventTimeout))
    }

    /// A 200 or 201 whose body carries the challenge token.
    private func acknowledges(_ answer: (status: Int, body: [UInt8])?) -> Bool {
        guard let answer, answer.status == 200 || answer.status == 201 else { return false }
        return JSON.parse(answer.body)?["challenge"]?.text == challenge
    }

    private func post(headers: [(String, String)], body: [UInt8], within limit: Duration) async -> (status: Int, body: [UInt8])? {
        let (url, send) = (url, send)
        return await withTaskGroup(of: (status: Int, body: [UInt8])?.self) { group in
            group.addTask { try? await send(url, headers, body) }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
