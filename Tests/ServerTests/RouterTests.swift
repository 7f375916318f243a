import HTTPTypes
@testable import Server
import Testing

struct RouterTests {
    static func makeRouter() -> Router {
        let router = Router()
        router.get("/recommend/:patientId") { request in .text(request.parameters["patientId"] ?? "") }
        router.post("/api/v1/patients/:id", body: .bytes(64)) { _ in .text("created") }
        router.put("/api/v1/patients/:id") { _ in .text("put") }
        router.get("/healthz") { _ in .text("ok") }
        return router
    }

    /// Answers 429 itself, or tags the request for the handler.
    struct Gate: RouterMiddleware {
        let refuse: Bool

        func handle(_ request: Request, next: Handler) async throws -> Response {
            if refuse { return .text("slow down", status: .tooManyRequests) }
            var request = request
            request.context[Caller.self] = Caller(name: "ehr-sync")
            return try await next(request)
        }
    }

    struct Caller: Sendable, Equatable { let name: String }

    /// Appends its name to a header on the way out, so a test can see the order middleware ran in.
    struct Mark: RouterMiddleware {
        let name: String

        func handle(_ request: Request, next: Handler) async throws -> Response {
            var response = try await next(request)
            response.headerFields[.init("X-Path")!] = name + (response.headerFields[.init("X-Path")!] ?? "")
            return response
        }
    }

    static func answer(_ table: RouteTable, _ path: String, method: HTTPRequest.Method = .get) async throws -> Response? {
        guard case .route(let handler, let parameters, _, _, _) = table.resolve(method: method, path: Substring(path)) else { return nil }
        return try await handler(Request(head: HTTPRequest(method: method, scheme: nil, authority: "x", path: path), parameters: parameters))
    }

    @Test func capturesPercentDecodedParameters() async throws {
        guard case .route(let handler, let parameters, _, _, _) = Self.makeRouter().table().resolve(method: .get, path: "/recommend/p%2042") else {
            Issue.record("no route")
            return
        }
        #expect(parameters == ["patientId": "p 42"])
        let response = try await handler(Request(head: HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/"), parameters: parameters))
        #expect(response.status == .ok)
    }

    /// The hole this design closes: a limit matched by path prefix missed `//recommend/p1`.
    @Test func aGroupsMiddlewareRunsForEverySpellingOfItsRoutes() async throws {
        let router = Router()
        router.group("/recommend").add(middleware: Gate(refuse: true)).get(":patientId") { _ in .text("link") }
        router.get("/healthz") { _ in .text("ok") }
        router.fallback = { _ in .text("file") }
        let table = router.table()
        for path in ["/recommend/p-1", "//recommend/p-1", "/recommend//p-1/", "///recommend///p-1"] {
            #expect(try await Self.answer(table, path)?.status == .tooManyRequests, "\(path)")
        }
        #expect(try await Self.answer(table, "/healthz")?.status == .ok, "routes of other groups are untouched")
        #expect(try await Self.answer(table, "/app.js")?.status == .ok, "files are not in the group")
    }

    @Test func whatMiddlewareLearnsReachesTheHandler() async throws {
        let router = Router()
        router.group().add(middleware: Gate(refuse: false)).get("/who") { request in .text(request.context[Caller.self]?.name ?? "nobody") }
        let response = try #require(try await Self.answer(router.table(), "/who"))
        guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
        #expect(String(decoding: body, as: UTF8.self) == "ehr-sync")
    }

    @Test func routerMiddlewareRunsFirstThenEachGroupsInTheOrderAdded() async throws {
        let router = Router()
        let outer = router.group("/a").add(middleware: Mark(name: "1"))
        outer.add(middleware: Mark(name: "2")).get("b") { _ in .text("b") }
        outer.get("c") { _ in .text("c") }
        router.add(middleware: Mark(name: "0"))
        router.fallback = { _ in .text("file") }
        let table = router.table()
        #expect(try await Self.answer(table, "/a/b")?.headerFields[.init("X-Path")!] == "012")
        #expect(try await Self.answer(table, "/a/c")?.headerFields[.init("X-Path")!] == "01", "a nested group's middleware stays in it")
        #expect(try await Self.answer(table, "/x.js")?.headerFields[.init("X-Path")!] == "0", "files get the router's middleware")
    }

    @Test func aGroupRendersTheErrorsOfPathsUnderItsPrefixWhateverTheSpelling() {
        let router = Router()
        let json: ErrorRenderer = { error, _, _ in .json(Array("{}".utf8), status: error.status) }
        let api = router.group("/api", renderError: json)
        api.group("v1").get("patients/:id") { _ in .text("p") }
        router.get("/healthz") { _ in .text("ok") }
        router.fallback = { _ in .text("file") }
        let table = router.table()
        func contentType(_ method: HTTPRequest.Method, _ path: Substring) -> String? {
            switch table.resolve(method: method, path: path) {
            case .notFound(let render), .methodNotAllowed(_, let render), .route(_, _, _, _, let render):
                render(HTTPError(.notFound), path, "id").headerFields[.contentType]
            }
        }
        #expect(contentType(.get, "/api/v2/nothing") == "application/json")
        #expect(contentType(.get, "//api//v1/nothing/here") == "application/json")
        #expect(contentType(.delete, "/api/v1/patients/7") == "application/json")
        #expect(contentType(.post, "/nothing") == "text/plain; charset=utf-8")
        guard case .notFound = table.resolve(method: .get, path: "/api/app.js") else {
            Issue.record("a file was served from under a group's prefix")
            return
        }
    }

    @Test func listsRegisteredRoutesInOrder() {
        let router = Self.makeRouter()
        router.group("/ehr/api").get("me") { _ in .text("me") }
        #expect(router.registeredRoutes == [
            "GET /recommend/:patientId", "POST /api/v1/patients/:id", "PUT /api/v1/patients/:id", "GET /healthz", "GET /ehr/api/me",
        ])
    }

    @Test func refusesMalformedEscapesInParameters() {
        guard case .notFound = Self.makeRouter().table().resolve(method: .get, path: "/recommend/%zz") else {
            Issue.record("matched a malformed escape")
            return
        }
    }

    @Test func answersMethodNotAllowedWithTheAllowedMethods() {
        guard case .methodNotAllowed(let allowed, _) = Self.makeRouter().table().resolve(method: .delete, path: "/api/v1/patients/7") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.post, .put])
    }

    @Test func letsHeadUseTheGetRoute() {
        guard case .route = Self.makeRouter().table().resolve(method: .head, path: "/healthz") else {
            Issue.record("HEAD not routed")
            return
        }
    }

    /// A route takes no body unless it says so; `.standard` is the server's configured default (nil here).
    @Test func carriesTheRoutesBodyLimit() {
        let router = Self.makeRouter()
        router.post("/form", body: .standard) { _ in .text("ok") }
        let table = router.table()
        func limit(_ method: HTTPRequest.Method, _ path: Substring) -> Int?? {
            guard case .route(_, _, let limit, _, _) = table.resolve(method: method, path: path) else { return .none }
            return .some(limit)
        }
        #expect(limit(.post, "/api/v1/patients/7") == .some(64))
        #expect(limit(.put, "/api/v1/patients/7") == .some(0))
        #expect(limit(.get, "/healthz") == .some(0))
        #expect(limit(.post, "/form") == .some(nil))
    }

    @Test func fallsBackForGetOnlyWhenNoRouteMatches() {
        let router = Self.makeRouter()
        router.fallback = { _ in .text("file") }
        let table = router.table()
        guard case .route = table.resolve(method: .get, path: "/index.html") else {
            Issue.record("fallback not used")
            return
        }
        guard case .notFound = table.resolve(method: .post, path: "/index.html") else {
            Issue.record("fallback used for POST")
            return
        }
        guard case .methodNotAllowed = table.resolve(method: .get, path: "/api/v1/patients/7") else {
            Issue.record("fallback hid a 405")
            return
        }
    }
}
