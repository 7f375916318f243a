public import HTTPTypes

/// How the client reaches Fullscript. The app implements it with its own HTTP client, so this module
/// stays free of sockets and TLS and tests can answer with canned responses.
public protocol FullscriptTransport: Sendable {
    /// Sends one request (absolute: scheme, authority, path+query set) and returns the whole response.
    func send(_ request: HTTPRequest, body: [UInt8]?) async throws -> (HTTPResponse, [UInt8])
}

/// What a transport throws when the call's deadline passed, so a click can say "too slow" rather
/// than "down".
public struct FullscriptTransportTimeout: Error, Sendable {
    public init() {}
}
