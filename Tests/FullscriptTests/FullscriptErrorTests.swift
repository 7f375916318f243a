import Testing
@testable import Fullscript

struct FullscriptErrorTests {
    @Test func descriptionNamesKindStatusAndRequestID() {
        let error = FullscriptError(.validation(["Email can't be blank", "Email is invalid"]), status: 422, requestID: "req-9")
        #expect(error.description == "Fullscript rejected the request: Email can't be blank; Email is invalid (status 422, request req-9)")
        #expect(FullscriptError(.rateLimited(retryAfterSeconds: 30)).description == "Fullscript rate limit reached, retry after 30 s")
        #expect(FullscriptError(.unauthorized, status: 401).description.hasSuffix("(status 401)"))
    }
}
