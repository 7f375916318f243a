import Foundation
import HTTPTypes

/// Maps a non-2xx answer to a `FullscriptError`. The only documented error body is a 422 whose
/// `error` is a string holding a JSON array; clients also see `{"errors": ["…"]}`,
/// `{"errors": [{"code", "message"}]}`, Rails' `{"errors": {"field": ["…"]}}` and OAuth's
/// `{"error": "invalid_grant", "error_description": "…"}`, so all of them are read.
enum ErrorResponse {
    static func error(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8], requestID: String?) -> FullscriptError {
        let json = JSONValue(parsing: body)
        let kind: FullscriptError.Kind
        let isOAuthRefusal = json?["error"]?.string == "invalid_grant"
        switch status.code {
        case 400 where isOAuthRefusal, 401 where isOAuthRefusal: kind = .invalidGrant
        case 400, 422: kind = .validation(json.map(messages(inBody:)) ?? [])
        case 401: kind = .unauthorized
        case 403: kind = .forbidden
        case 404: kind = .notFound
        case 429: kind = .rateLimited(retryAfterSeconds: headers[.retryAfter].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        case 500...599: kind = .unavailable("Fullscript answered \(status.code)")
        default: kind = .malformedResponse("unexpected status \(status.code)")
        }
        return FullscriptError(kind, status: status.code, requestID: requestID)
    }

    static func messages(inBody body: JSONValue) -> [String] {
        if let errors = body["errors"] { return messages(in: errors) }
        if let description = body["error_description"] { return messages(in: description) }
        if let error = body["error"] { return messages(in: error) }
        if let message = body["message"] { return messages(in: message) }
        return []
    }

    private static func messages(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text):
            if text.first == "[", let nested = JSONValue(parsing: Array(text.utf8)), case .array = nested {
                return messages(in: nested)
            }
            return [text]
        case .array(let items):
            return items.flatMap(messages(in:))
        case .object(let members):
            if let message = members["message"] ?? members["detail"] ?? members["title"] { return messages(in: message) }
            if let code = members["code"]?.string { return [code] }
            return members.sorted { $0.key < $1.key }.flatMap { field, value in messages(in: value).map { "\(field) \($0)" } }
        case .null, .bool, .number:
            return []
        }
    }
}
