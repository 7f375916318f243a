import Foundation
import HTTPTypes
import Server

/// The one error body every JSON API answers with, `{"error":{"code","message","request_id"}}`, so a
/// caller can branch on `code`, show `message`, and quote `request_id` to whoever reads our logs.
enum APIError {
    /// One reason a request was refused, for callers that fix fields one by one.
    struct Detail: Encodable, Sendable, Equatable {
        let field: String
        let problem: String
    }

    private struct Body: Encodable {
        struct Content: Encodable {
            let code: String
            let message: String
            let requestID: String
            let details: [Detail]?

            enum CodingKeys: String, CodingKey {
                case code, message, details
                case requestID = "request_id"
            }
        }

        let error: Content
    }

    /// The error renderer of the groups for programs: the server's own errors there (no route, wrong
    /// method, a body over the limit, a failure) come in the same JSON shape as every other answer of theirs.
    @Sendable static func render(_ error: HTTPError, path: Substring, requestID: String) -> Response {
        // "Content Too Large" → "content_too_large": one code per status, from a fixed set.
        let code = error.status.reasonPhrase.lowercased().split(whereSeparator: { !$0.isLetter }).joined(separator: "_")
        return response(error.status, code: code.isEmpty ? "error" : code, message: error.message, requestID: requestID)
    }

    /// `details` is left out of the body when empty, so the common case keeps the documented shape.
    static func response(
        _ status: HTTPResponse.Status, code: String, message: String, requestID: String, details: [Detail] = []
    ) -> Response {
        let body = Body(error: .init(code: code, message: message, requestID: requestID, details: details.isEmpty ? nil : details))
        var response = Response.json(JSONBody.encode(body), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
