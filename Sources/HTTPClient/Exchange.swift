import HTTPTypes

/// One attempt at one request, handed from the pool to a connection. Confined to the event loop.
final class Exchange {
    let origin: Origin
    let method: HTTPRequest.Method
    let requestBytes: [UInt8]
    /// Monotonic nanoseconds by which the whole request, retries included, must be done.
    let deadline: UInt64
    private var completion: ((AttemptOutcome) -> Void)?

    init(origin: Origin, method: HTTPRequest.Method, requestBytes: [UInt8], deadline: UInt64,
         completion: @escaping (AttemptOutcome) -> Void) {
        self.origin = origin
        self.method = method
        self.requestBytes = requestBytes
        self.deadline = deadline
        self.completion = completion
    }

    /// Only the first outcome counts: a connection failing after it already answered changes nothing.
    func complete(_ outcome: AttemptOutcome) {
        completion?(outcome)
        completion = nil
    }
}

enum AttemptOutcome: Sendable {
    case response(HTTPClientResponse)
    /// `retryable`: the request certainly did not reach a handler, so an idempotent request may
    /// be sent again.
    case failure(HTTPClientError, retryable: Bool)
}
