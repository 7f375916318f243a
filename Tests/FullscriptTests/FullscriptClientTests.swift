import HTTPTypes
import ServerTesting
import Logging
import Testing
@testable import Fullscript

struct FullscriptClientTests {
    static let clinic = #"{"clinic": {"id": "c-1", "name": "Maple"}}"#

    @Test func restCallsCarryBearerAndAcceptButNoBodyHeaders() async throws {
        let transport = FakeTransport(.answer(200, Self.clinic))
        _ = try await Fixture.client(transport).clinic(accessToken: "tok-1")
        let sent = try #require(transport.sent.first)
        #expect(sent.request.method == .get)
        #expect(sent.url == "https://api-us-snd.fullscript.io/api/clinic")
        #expect(sent.request.headerFields[.authorization] == "Bearer tok-1")
        #expect(sent.request.headerFields[.accept] == "application/json")
        #expect(sent.request.headerFields[.contentType] == nil)
        #expect(sent.body == nil)
    }

    @Test(arguments: [
        (401, [String: String](), FullscriptError.Kind.unauthorized), (403, [:], .forbidden), (404, [:], .notFound),
        (429, ["Retry-After": "120"], .rateLimited(retryAfterSeconds: 120)), (500, [:], .unavailable("Fullscript answered 500")),
        (504, [:], .unavailable("Fullscript answered 504")),
    ])
    func mapsStatusesAndKeepsTheRequestID(_ status: Int, _ headers: [String: String], _ kind: FullscriptError.Kind) async {
        let transport = FakeTransport(.answer(status, "{}", headers: headers.merging(["X-Request-Id": "req-7"]) { a, _ in a }))
        await #expect(throws: FullscriptError(kind, status: status, requestID: "req-7")) {
            try await Fixture.client(transport).clinic(accessToken: "tok")
        }
    }

    @Test func transportFailureIsUnavailable() async {
        await #expect(throws: FullscriptError(.unavailable("connection refused"))) {
            try await Fixture.client(FakeTransport(.failure(TransportDown()))).clinic(accessToken: "tok")
        }
        await #expect(throws: FullscriptError(.unavailable("cancelled"))) {
            try await Fixture.client(FakeTransport(.failure(CancellationError()))).clinic(accessToken: "tok")
        }
    }

    @Test func transportTimeoutIsTimedOutNotDown() async {
        await #expect(throws: FullscriptError(.timedOut)) {
            try await Fixture.client(FakeTransport(.failure(FullscriptTransportTimeout()))).clinic(accessToken: "tok")
        }
    }

    @Test(arguments: ["not json", #"{"clinic": {"name": "no id"}}"#, #"{"practice": {}}"#, ""])
    func unreadableAnswersAreMalformed(_ body: String) async {
        let transport = FakeTransport(.answer(200, body, headers: ["X-Request-Id": "req-3"]))
        await #expect {
            try await Fixture.client(transport).clinic(accessToken: "tok")
        } throws: { error in
            guard let error = error as? FullscriptError, case .malformedResponse = error.kind else { return false }
            return error.status == 200 && error.requestID == "req-3"
        }
    }

    @Test func malformedNamesTheMissingMember() async {
        let transport = FakeTransport(.answer(200, #"{"clinic": {"name": "no id"}}"#))
        await #expect(throws: FullscriptError(.malformedResponse("clinic: missing id"), status: 200)) {
            try await Fixture.client(transport).clinic(accessToken: "tok")
        }
    }

    @Test func aBaseURLThatIsNotAbsoluteFailsWithoutSending() async {
        let transport = FakeTransport()
        let client = FullscriptClient(endpoints: FullscriptEndpoints(apiBaseURL: "api.example/api", authorizeURL: "x"),
                                      credentials: Fixture.credentials, transport: transport, logger: Logger(label: "test"))
        await #expect(throws: FullscriptError.self) { try await client.clinic(accessToken: "tok") }
        #expect(transport.sent.isEmpty)
    }

    @Test func logsMethodPathStatusAndRequestIDButNeverTokensOrQueryValues() async throws {
        let logs = LogCapture()
        let transport = FakeTransport(.answer(200, #"{"patients": []}"#, headers: ["X-Request-Id": "req-42"]))
        _ = try await Fixture.client(transport, logs: logs).searchPatients(accessToken: "tok-secret", query: "Zoë Ng")
        let info = try #require(logs.lines.first { $0.hasPrefix("info") })
        for part in ["GET", "/api/clinic/search/patients", "200", "req-42", "duration_ms"] { #expect(info.contains(part)) }
        #expect(!logs.lines.contains { $0.contains("tok-secret") })
        #expect(!info.contains("Zo"))
    }
}
