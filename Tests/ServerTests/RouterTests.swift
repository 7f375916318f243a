import HTTPTypes
@testable import Server
import Testing

struct RouterTests {
    static func makeRouter() -> Router {
        var router = Router()
        router.get("/recommend/:patientId") { request in .text(request.parameters["patientId"] ?? "") }
        router.post("/api/v1/patients/:id", maxBodySize: 64) { _ in .text("created") }
        router.put("/api/v1/patients/:id") { _ in .text("put") }
        router.get("/healthz") { _ in .text("ok") }
        return router
    }

    @Test func capturesPercentDecodedParameters() async throws {
        let router = Self.makeRouter()
        guard case .route(let handler, let parameters, _, _) = router.resolve(method: .get, path: "/recommend/p%2042") else {
            Issue.record("no route")
            return
        }
        #expect(parameters == ["patientId": "p 42"])
        let response = try await handler(Request(head: HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/"), parameters: parameters))
        #expect(response.status == .ok)
    }

    @Test func admissionAnswersInsteadOfRoutedHandlersButNotTheFallback() async throws {
        var router = Self.makeRouter()
        router.fallback = { _ in .text("file") }
        router.admission = { request in request.path.hasPrefix("/recommend/") ? .text("slow down", status: .tooManyRequests) : nil }
        func answer(_ path: String) async throws -> Response? {
            guard case .route(let handler, let parameters, _, _) = router.resolve(method: .get, path: Substring(path)) else { return nil }
            return try await handler(Request(head: HTTPRequest(method: .get, scheme: nil, authority: "x", path: path), parameters: parameters))
        }
        #expect(try await answer("/recommend/p-1")?.status == .tooManyRequests)
        #expect(try await answer("/healthz")?.status == .ok)
        #expect(try await answer("/app.js")?.status == .ok, "static files are not admitted")
    }

    @Test func whatAdmissionLearnsReachesTheHandler() async throws {
        struct Caller: Sendable, Equatable { let name: String }
        var router = Router()
        router.get("/who") { request in .text(request.context[Caller.self]?.name ?? "nobody") }
        router.admission = { request in
            request.context[Caller.self] = Caller(name: "ehr-sync")
            return nil
        }
        guard case .route(let handler, _, _, _) = router.resolve(method: .get, path: "/who") else {
            Issue.record("no route")
            return
        }
        let response = try await handler(Request(head: HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/who")))
        guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
        #expect(String(decoding: body, as: UTF8.self) == "ehr-sync")
    }

    @Test func listsRegisteredRoutesInOrder() {
        #expect(Self.makeRouter().registeredRoutes == [
            "GET /recommend/:patientId", "POST /api/v1/patients/:id", "PUT /api/v1/patients/:id", "GET /healthz",
        ])
    }

    @Test func refusesMalformedEscapesInParameters() {
        guard case .notFound = Self.makeRouter().resolve(method: .get, path: "/recommend/%zz") else {
            Issue.record("matched a malformed escape")
            return
        }
    }

    @Test func answersMethodNotAllowedWithTheAllowedMethods() {
        guard case .methodNotAllowed(let allowed) = Self.makeRouter().resolve(method: .delete, path: "/api/v1/patients/7") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.post, .put])
    }

    @Test func letsHeadUseTheGetRoute() {
        guard case .route = Self.makeRouter().resolve(method: .head, path: "/healthz") else {
            Issue.record("HEAD not routed")
            return
        }
    }

    @Test func carriesTheRoutesBodyLimit() {
        guard case .route(_, _, let limit, _) = Self.makeRouter().resolve(method: .post, path: "/api/v1/patients/7") else {
            Issue.record("no route")
            return
        }
        #expect(limit == 64)
    }

    @Test func fallsBackForGetOnlyWhenNoRouteMatches() {
        var router = Self.makeRouter()
        router.fallback = { _ in .text("file") }
        guard case .route = router.resolve(method: .get, path: "/index.html") else {
            Issue.record("fallback not used")
            return
        }
        guard case .notFound = router.resolve(method: .post, path: "/index.html") else {
            Issue.record("fallback used for POST")
            return
        }
        guard case .methodNotAllowed = router.resolve(method: .get, path: "/api/v1/patients/7") else {
            Issue.record("fallback hid a 405")
            return
        }
    }
}
