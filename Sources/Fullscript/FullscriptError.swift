/// Every failure of a Fullscript call, reduced to what the caller must do about it.
public struct FullscriptError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// 401: refresh the token once, then reconnect.
        case unauthorized
        /// 403 or a missing scope: the user must authorize again (new scopes never reach old tokens).
        case forbidden
        /// The token endpoint refused the code or refresh token: the user must reconnect.
        case invalidGrant
        /// 400/422, with Fullscript's own messages (or a local check's, before any call).
        case validation([String])
        case notFound
        /// 429, with `Retry-After` in seconds when given.
        case rateLimited(retryAfterSeconds: Int?)
        /// Fullscript could not be reached or failed: transport errors, timeouts, 5xx.
        case unavailable(String)
        /// No answer within the call's deadline.
        case timedOut
        /// An answer this client cannot read, or a status it does not expect.
        case malformedResponse(String)
    }

    public var kind: Kind
    /// The HTTP status, when Fullscript answered.
    public var status: Int?
    /// Fullscript's `X-Request-Id`, for their support.
    public var requestID: String?

    public init(_ kind: Kind, status: Int? = nil, requestID: String? = nil) {
        self.kind = kind
        self.status = status
        self.requestID = requestID
    }
}

extension FullscriptError.Kind {
    /// The kind without its details, as a metrics label: a fixed set of values.
    public var metricLabel: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .invalidGrant: "invalid_grant"
        case .validation: "validation"
        case .notFound: "not_found"
        case .rateLimited: "rate_limited"
        case .unavailable: "unavailable"
        case .timedOut: "timed_out"
        case .malformedResponse: "malformed_response"
        }
    }
}

/// Never includes tokens or bodies: only the kind, Fullscript's validation messages, status and request id.
extension FullscriptError: CustomStringConvertible {
    public var description: String {
        var text: String
        switch kind {
        case .unauthorized: text = "Fullscript refused the access token"
        case .forbidden: text = "Fullscript denied access (missing scope or permission)"
        case .invalidGrant: text = "Fullscript refused the authorization grant; reconnect"
        case .validation(let messages):
            text = "Fullscript rejected the request" + (messages.isEmpty ? "" : ": " + messages.joined(separator: "; "))
        case .notFound: text = "Fullscript found no such resource"
        case .rateLimited(let seconds): text = "Fullscript rate limit reached" + (seconds.map { ", retry after \($0) s" } ?? "")
        case .unavailable(let reason): text = "Fullscript unavailable: " + reason
        case .timedOut: text = "Fullscript did not answer within the deadline"
        case .malformedResponse(let reason): text = "unreadable Fullscript response: " + reason
        }
        let details = [status.map { "status \($0)" }, requestID.map { "request \($0)" }].compactMap(\.self)
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }
}
