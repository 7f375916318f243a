import HTTPClient
import HTTPTypes
import Logging
import Synchronization

func makeClient(_ configure: (inout HTTPClientConfiguration) -> Void = { _ in }) throws -> HTTPClient {
    var configuration = HTTPClientConfiguration()
    configuration.allowPlainHTTPToLoopback = true
    configuration.retry.baseDelay = .milliseconds(5)
    configure(&configuration)
    var logger = Logger(label: "http-client-test")
    logger.logLevel = .critical
    return try HTTPClient(configuration: configuration, logger: logger)
}

/// Runs `body` with a client, shutting it down however `body` ends.
func withClient(
    _ configure: (inout HTTPClientConfiguration) -> Void = { _ in },
    _ body: (HTTPClient) async throws -> Void
) async throws {
    let client = try makeClient(configure)
    do {
        try await body(client)
    } catch {
        await client.shutdown()
        throw error
    }
    await client.shutdown()
}

func request(
    _ method: HTTPRequest.Method = .get,
    _ scheme: String = "http",
    host: String = "127.0.0.1",
    port: Int,
    _ path: String
) -> HTTPRequest {
    HTTPRequest(method: method, scheme: scheme, authority: "\(host):\(port)", path: path)
}

/// The client error `body` failed with, or nil if it succeeded.
func failure(_ body: () async throws -> Void) async -> HTTPClientError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? HTTPClientError
    }
}

