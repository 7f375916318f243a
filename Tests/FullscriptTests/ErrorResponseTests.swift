import HTTPTypes
import Testing
@testable import Fullscript

struct ErrorResponseTests {
    func kind(_ status: Int, _ body: String, headers: HTTPFields = [:]) -> FullscriptError.Kind {
        ErrorResponse.error(status: .init(code: status), headers: headers, body: Array(body.utf8), requestID: nil).kind
    }

    @Test(arguments: [
        (#"{"error": "Practitioner not found"}"#, ["Practitioner not found"]),
        (#"{"error": "[\"Last name can't be blank\", \"Email can't be blank\"]"}"#, ["Last name can't be blank", "Email can't be blank"]),
        (#"{"errors": ["Email is invalid", "Gender is not included in the list"]}"#, ["Email is invalid", "Gender is not included in the list"]),
        (#"{"errors": [{"code": "invalid", "message": "Email is invalid"}, {"code": "blank"}]}"#, ["Email is invalid", "blank"]),
        (#"{"errors": {"last_name": ["can't be blank"], "email": ["is invalid"]}}"#, ["email is invalid", "last_name can't be blank"]),
        (#"{"error": "[not json"}"#, ["[not json"]),
        ("<html>oops</html>", []),
    ])
    func readsEveryValidationShape(_ body: String, _ messages: [String]) {
        #expect(kind(422, body) == .validation(messages))
    }

    @Test func mapsStatuses() {
        #expect(kind(400, #"{"error": "param is missing"}"#) == .validation(["param is missing"]))
        #expect(kind(401, "") == .unauthorized)
        #expect(kind(401, #"{"error": "invalid_client"}"#) == .unauthorized)
        #expect(kind(403, #"{"error": "Forbidden"}"#) == .forbidden)
        #expect(kind(404, "") == .notFound)
        #expect(kind(429, "", headers: [.retryAfter: " 42 "]) == .rateLimited(retryAfterSeconds: 42))
        #expect(kind(429, "", headers: [.retryAfter: "Wed, 21 Oct 2026 07:28:00 GMT"]) == .rateLimited(retryAfterSeconds: nil))
        #expect(kind(429, "") == .rateLimited(retryAfterSeconds: nil))
        #expect(kind(502, "") == .unavailable("Fullscript answered 502"))
        #expect(kind(503, "") == .unavailable("Fullscript answered 503"))
        #expect(kind(409, "") == .malformedResponse("unexpected status 409"))
    }

    @Test(arguments: [400, 401])
    func invalidGrantMeansReconnect(_ status: Int) {
        #expect(kind(status, #"{"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"}"#) == .invalidGrant)
    }

    @Test func keepsStatusAndRequestID() {
        let error = ErrorResponse.error(status: .notFound, headers: [:], body: [], requestID: "req-1")
        #expect(error == FullscriptError(.notFound, status: 404, requestID: "req-1"))
    }
}
