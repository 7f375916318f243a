import FullscriptSandbox
import ServerTesting
import Synchronization

/// Where the simulator's webhooks go, set once the application under test has its port.
final class WebhookTarget: Sendable {
    private let target = Mutex<(url: String, sender: WebhookSender)?>(nil)

    func aim(at url: String, sender: @escaping WebhookSender) {
        target.withLock { $0 = (url, sender) }
    }

    @Sendable func send(_: String, headers: [(String, String)], body: [UInt8]) async throws -> (status: Int, body: [UInt8]) {
        guard let (url, sender) = target.withLock({ $0 }) else { throw TestClientError.closed("the application is not up yet") }
        return try await sender(url, headers, body)
    }
}
