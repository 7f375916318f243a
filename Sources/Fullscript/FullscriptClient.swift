public import CoreMetrics
import Foundation
import HTTPTypes
public import Logging

/// Fullscript's OAuth and REST endpoints, typed. Stateless: tokens are passed in per call and the
/// caller stores and refreshes them.
public struct FullscriptClient: Sendable {
    let endpoints: FullscriptEndpoints
    let credentials: FullscriptCredentials
    let transport: any FullscriptTransport
    let logger: Logger
    private let callMetrics: CallMetrics
    let base: BaseURL?
    /// The API's host, lowercased: where a link may also point.
    let apiHost: String?

    static let callsTotal = "fullscript_requests_total"
    static let callDuration = "fullscript_request_duration_seconds"

    /// Each call's latency and outcome go to `metrics` (swift-metrics' global factory unless given one).
    public init(
        endpoints: FullscriptEndpoints, credentials: FullscriptCredentials, transport: any FullscriptTransport, logger: Logger,
        metrics: (any MetricsFactory)? = nil
    ) {
        self.endpoints = endpoints
        self.credentials = credentials
        self.transport = transport
        self.logger = logger
        callMetrics = CallMetrics(factory: metrics ?? MetricsSystem.factory)
        base = BaseURL(endpoints.apiBaseURL)
        apiHost = URL(string: endpoints.apiBaseURL)?.host?.lowercased()
    }

    /// A 2xx answer.
    struct Answer {
        var status: Int
        var body: [UInt8]
        var requestID: String?
    }

    /// Sends `request`, logs it, and turns every failure into a `FullscriptError`.
    func send(_ request: APIRequest) async throws(FullscriptError) -> Answer {
        guard let base else {
            throw FullscriptError(.unavailable("the API base URL '\(endpoints.apiBaseURL)' is not an absolute http(s) URL"))
        }
        // An id of `.`, `..` or nothing (from a payload or a URL) would be removed from the path by servers
        // and proxies, calling another endpoint with the user's token: no such resource, and nothing sent.
        guard request.path.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { throw FullscriptError(.notFound) }
        let path = request.encodedPath(under: base)
        let start = ContinuousClock.now
        // Metadata is built inside the log calls' autoclosures, only for a line that is logged (at `warning`, none is).
        func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
            extra.merging(["method": "\(request.method.rawValue)", "path": "\(path)",
                           "duration_ms": "\(Self.milliseconds(since: start))"]) { extra, _ in extra }
        }
        let response: HTTPResponse
        let body: [UInt8]
        do {
            (response, body) = try await transport.send(request.httpRequest(encodedPath: path, under: base), body: request.body)
        } catch {
            logger.warning("fullscript call failed", metadata: metadata(["error": "\(error)"]))
            let failure = error is FullscriptTransportTimeout
                ? FullscriptError(.timedOut) : FullscriptError(.unavailable(error is CancellationError ? "cancelled" : "\(error)"))
            record(request, outcome: failure.kind.metricLabel, since: start)
            throw failure
        }
        let requestID = response.headerFields[Self.requestIDField]
        // Fullscript's id for the call, which their support asks for; ours is `request_id`.
        logger.info("fullscript call", metadata: metadata(["status": "\(response.status.code)", "fullscript_request_id": "\(requestID ?? "-")"]))
        if !request.bodyIsSecret {
            logger.debug("fullscript response body", metadata: ["fullscript_request_id": "\(requestID ?? "-")",
                                                                "body": "\(String(decoding: body, as: UTF8.self))"])
        }
        guard response.status.kind == .successful else {
            let failure = ErrorResponse.error(status: response.status, headers: response.headerFields, body: body, requestID: requestID)
            record(request, outcome: failure.kind.metricLabel, since: start)
            throw failure
        }
        record(request, outcome: "ok", since: start)
        return Answer(status: response.status.code, body: body, requestID: requestID)
    }

    private func record(_ request: APIRequest, outcome: String, since start: ContinuousClock.Instant) {
        callMetrics.record(endpoint: request.endpoint, outcome: outcome, duration: start.duration(to: .now))
    }

    /// Sends `request` and decodes the member named `member` of the answer (with `meta`, for lists).
    func fetch<Value: Decodable>(_ request: APIRequest, member: String, as type: Value.Type = Value.self)
        async throws(FullscriptError) -> Envelope<Value> {
        let answer = try await send(request)
        return try decode(answer) { body throws in try Envelope<Value>.decode(body, member: member) }
    }

    /// Runs `parse` on a 2xx body; a thrown decoding error becomes `.malformedResponse` with the request id.
    func decode<Value>(_ answer: Answer, _ parse: ([UInt8]) throws -> Value) throws(FullscriptError) -> Value {
        do {
            return try parse(answer.body)
        } catch {
            throw FullscriptError(.malformedResponse(Self.describe(error)), status: answer.status, requestID: answer.requestID)
        }
    }

    /// Which member failed and why, without the values (which may be tokens or patient data).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(type(of: error))" }
        func location(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "body" : path
        }
        switch error {
        case .keyNotFound(let key, let context): return location(context) + ": missing " + key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return location(context) + ": " + context.debugDescription
        @unknown default: return "undecodable"
        }
    }

    private static let requestIDField = HTTPField.Name("X-Request-Id")!

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = start.duration(to: .now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }
}
