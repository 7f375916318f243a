import Fullscript
import HTTPClient
import HTTPTypes

/// Fullscript's client speaks through our HTTP client: pooled TLS connections, one deadline per call.
struct HTTPClientTransport: FullscriptTransport {
    let client: HTTPClient
    let deadline: Duration

    func send(_ request: HTTPRequest, body: [UInt8]?) async throws -> (HTTPResponse, [UInt8]) {
        do {
            let response = try await client.execute(request, body: body, deadline: deadline)
            return (response.head, response.body)
        } catch .timedOut, .deadlineExceeded {
            throw FullscriptTransportTimeout()
        }
    }
}
