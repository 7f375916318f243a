@testable import App
import Cryptography
import Foundation
import HTTPTypes
import Server
import ServerTesting
import Store
import Testing

/// The launch token's optional `patient` and `roles` claims: least privilege from the launch.
struct LaunchClaimsTests {
    /// A launch token for dr-quinn with `extra` claims (JSON members, e.g. `"patient":"p-1"`), signed as the EHR signs.
    static func token(_ extra: String, on harness: ConnectedHarness, user: String = "dr-quinn") -> String {
        let now = Int(harness.clock.now().timeIntervalSince1970)
        let jti = Base64URL.encode(SecureRandom.bytes(count: 16))
        let claims = #"{"sub":"\#(user)","name":"Dr. Avery Quinn","jti":"\#(jti)","iat":\#(now),"exp":\#(now + 60)"#
            + (extra.isEmpty ? "" : "," + extra) + "}"
        return JWT.signHS256(claims: Array(claims.utf8), key: Array(ApplicationTests.launchSecret.utf8))
    }

    /// Patients p-1 and p-2, and a session launched with `extra` claims: its `fsr_session=…` cookie.
    static func session(_ extra: String, on harness: ConnectedHarness, user: String = "dr-quinn") async throws -> String {
        for id in ["p-1", "p-2"] where try await harness.application.patients.find(id, in: Tenant.defaultID) == .unknown {
            try await harness.add(PatientRecord(ehrPatientID: id, email: "\(id)@example.com", firstName: "Pat", lastName: id,
                                                createdAt: "", updatedAt: ""))
        }
        let launched = try await harness.get("/launch?token=\(token(extra, on: harness, user: user))", user: nil)
        #expect(launched.status == 303, "\(launched.text)")
        return try #require(launched.header("set-cookie")?.split(separator: ";").first.map(String.init))
    }

    /// Every route a signed-in browser reaches with a path parameter, each parameter filled with `value`.
    /// Taken from the routes actually served, so a new route is in this list without anyone adding it.
    static func sessionRoutesWithParameters(on harness: ConnectedHarness, filledWith value: String) -> [(method: String, path: String)] {
        harness.application.routes.compactMap { route in
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].contains("/:"), !parts[1].hasPrefix("/api/") else { return nil }
            let path = parts[1].split(separator: "/").map { $0.hasPrefix(":") ? value : String($0) }.joined(separator: "/")
            return (parts[0], "/" + path)
        }
    }

    static func send(_ method: String, _ path: String, session: String, on harness: ConnectedHarness,
                     accept: String = "text/html") async throws -> TestResponse {
        try await harness.request("\(method) \(path)", headers: [
            "Cookie: \(session)", "Sec-Fetch-Site: same-origin", "Accept: \(accept)", "Content-Length: 0",
        ])
    }

    // MARK: patient

    @Test func aPatientBoundSessionIsRefusedForAnotherPatientOnEveryRoute() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await Self.session(#""patient":"p-1""#, on: harness)
            let routes = Self.sessionRoutesWithParameters(on: harness, filledWith: "p-2")
            let expected = [
                "GET /ehr/api/patients/p-2", "GET /ehr/api/patients/p-2/treatment-plans", "GET /ehr/api/patients/p-2/treatment-plans/events",
                "POST /ehr/api/patients/p-2/treatment-plans/refresh", "GET /recommend/p-2", "GET /recommend/p-2/opening",
            ]
            #expect(Set(expected).isSubset(of: Set(routes.map { "\($0.method) \($0.path)" })), "\(routes)")
            for (method, path) in routes {
                let refused = try await Self.send(method, path, session: session, on: harness)
                #expect(refused.status == 403, "\(method) \(path): \(refused.status) \(refused.text)")
                if path.hasPrefix("/ehr/api/") {
                    #expect(refused.header("content-type")?.hasPrefix("application/json") == true, "\(method) \(path)")
                    #expect(try refused.apiError["code"] as? String == "patient_not_in_session",
                            "\(method) \(path): \(refused.text)")
                } else {
                    #expect(refused.header("content-type")?.hasPrefix("text/html") == true, "\(method) \(path)")
                    #expect(refused.text.contains("This sign-in is for another patient"), "\(method) \(path): \(refused.text)")
                    #expect(refused.text.contains(#"id="close-tab""#) && refused.text.contains(#"id="request-id""#), "the usual next steps")
                    #expect(!refused.text.contains(#"id="try-again""#), "trying again cannot help")
                }
            }
            #expect(try await harness.recommendations().isEmpty, "no click was recorded")
            let refusals = try await harness.auditActions().filter { $0 == "access.refused:patient_not_in_session" }
            #expect(refusals.count == routes.count, "one audit row per refusal")
        }
    }

    @Test func aPatientBoundSessionReadsItsOwnPatientAndListsOnlyThem() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await Self.session(#""patient":"p-1""#, on: harness)
            #expect(try await harness.get("/ehr/api/patients/p-1", user: nil, cookie: session).status == 200)
            #expect(try await harness.get("/ehr/api/patients/p-1/treatment-plans", user: nil, cookie: session).status == 200)

            let list = try await harness.get("/ehr/api/patients", user: nil, cookie: session)
            #expect(list.status == 200)
            #expect((try list.json["patients"] as? [[String: Any]])?.map { $0["id"] as? String } == ["p-1"], "\(list.text)")
            #expect(try list.json["next_after"] == nil)
            let past = try await harness.get("/ehr/api/patients?after=p-1", user: nil, cookie: session)
            #expect((try past.json["patients"] as? [[String: Any]])?.isEmpty == true, "paging past the one patient ends the list")

            let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
            let user = try #require(try me.json["user"] as? [String: Any])
            #expect(user["patient"] as? String == "p-1")
            #expect(user["roles"] == nil, "absent without the claim")
            #expect(user["can_recommend"] as? Bool == true)
        }
    }

    // MARK: roles

    @Test func aViewerReadsPlansButCannotClickConnectDisconnectOrRefresh() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await Self.session(#""roles":["viewer"]"#, on: harness)
            #expect(try await harness.get("/ehr/api/patients/p-1", user: nil, cookie: session).status == 200)
            #expect(try await harness.get("/ehr/api/patients/p-1/treatment-plans", user: nil, cookie: session).status == 200)
            let list = try await harness.get("/ehr/api/patients", user: nil, cookie: session)
            #expect((try list.json["patients"] as? [[String: Any]])?.count == 2)
            let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
            let user = try #require(try me.json["user"] as? [String: Any])
            #expect(user["roles"] as? [String] == ["viewer"])
            #expect(user["can_recommend"] as? Bool == false)

            let refusedPages: [(String, String)] = [
                ("GET", "/recommend/p-1"), ("GET", "/recommend/p-1?practitioner_id=prac-1"), ("GET", "/recommend/p-1/opening"),
                ("GET", "/oauth/fullscript/connect"), ("POST", "/oauth/fullscript/connect"),
                ("POST", "/oauth/fullscript/disconnect"), ("DELETE", "/oauth/fullscript/disconnect"),
            ]
            for (method, path) in refusedPages {
                let refused = try await Self.send(method, path, session: session, on: harness)
                #expect(refused.status == 403, "\(method) \(path): \(refused.status) \(refused.text)")
                #expect(refused.text.contains("Your EHR role lets you view, not act"), "\(method) \(path): \(refused.text)")
                #expect(refused.header("set-cookie") == nil, "\(method) \(path): no OAuth binding cookie")
            }
            let refresh = try await harness.refreshPlans("p-1", session: session)
            #expect(refresh.status == 403)
            #expect(try refresh.apiError["code"] as? String == "role_not_permitted", "\(refresh.text)")

            #expect(try await harness.recommendations().isEmpty)
            let refusals = try await harness.auditActions().filter { $0 == "access.refused:role_not_permitted" }
            #expect(refusals.count == refusedPages.count + 1)
        }
    }

    @Test func practitionerAndStaffRolesActAsToday() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            for roles in [#"["practitioner"]"#, #"["staff","viewer"]"#] {
                let session = try await Self.session(#""roles":\#(roles)"#, on: harness)
                let page = try await Self.send("GET", "/oauth/fullscript/connect", session: session, on: harness)
                #expect(page.status == 200, "\(roles)")
                let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
                #expect((try me.json["user"] as? [String: Any])?["can_recommend"] as? Bool == true, "\(roles)")
            }
        }
    }

    // MARK: the token

    @Test func unusableClaimsAreRefusedWithAClearPageAndNoSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let cases: [(String, String)] = [
                (#""roles":["admin"]"#, "a role this server does not know: admin"),
                (#""roles":["viewer","<script>"]"#, "a role this server does not know"),
                (#""roles":[]"#, "unusable roles claim"),
                (#""roles":"viewer""#, "unusable roles claim"),
                (#""roles":null"#, "unusable roles claim"),
                (#""patient":"p 1""#, "unusable patient claim"),
                (##""patient":"""##, "unusable patient claim"),
                (#""patient":7"#, "unusable patient claim"),
            ]
            for (claims, reason) in cases {
                let answer = try await harness.get("/launch?token=\(Self.token(claims, on: harness))", user: nil)
                #expect(answer.status == 401, "\(claims)")
                #expect(answer.header("set-cookie") == nil, "\(claims)")
                #expect(answer.text.contains(reason), "\(claims): \(answer.text)")
                #expect(!answer.text.contains("<script>"), "escaped")
            }
            let count = try await harness.application.database.read { try $0.queryFirst("SELECT count(*) AS n FROM sessions")?.int("n") }
            #expect(count == 0)
        }
    }

    @Test func withoutTheClaimsEverythingIsAsBefore() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await Self.session("", on: harness)
            let list = try await harness.get("/ehr/api/patients", user: nil, cookie: session)
            #expect((try list.json["patients"] as? [[String: Any]])?.map { $0["id"] as? String } == ["p-1", "p-2"])
            #expect(try await harness.get("/ehr/api/patients/p-2/treatment-plans", user: nil, cookie: session).status == 200)
            #expect(try await Self.send("GET", "/oauth/fullscript/connect", session: session, on: harness).status == 200)
            let me = try await harness.get("/ehr/api/me", user: nil, cookie: session)
            let user = try #require(try me.json["user"] as? [String: Any])
            #expect(user["patient"] == nil && user["roles"] == nil)
            #expect(user["can_recommend"] as? Bool == true)
            #expect(try await harness.auditActions().allSatisfy { !$0.hasPrefix("access.refused") })
        }
    }

    // MARK: declaring the patient

    /// A route whose patient parameter is not the group's declared one is closed to a bound session, even
    /// for its own patient: forgetting the declaration shows at once, never as a route open to every patient.
    @Test func anUndeclaredPathParameterIsRefusedToABoundSession() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let access = SessionAccess(identity: FixedIdentity(user: EHRUser(id: "dr-quinn", patient: "p-1")),
                                       database: harness.application.database, now: { harness.clock.now() })
            let binding = PatientBinding(access: access, patientParameter: "id", audience: .programs)
            func answer(_ parameters: [String: String]) async throws -> Int {
                let request = Request(head: .init(method: .get, scheme: "http", authority: "x", path: "/ehr/api/things"), parameters: parameters)
                return try await binding.handle(request) { _ in .text("served") }.status.code
            }
            #expect(try await answer(["id": "p-1"]) == 200)
            #expect(try await answer([:]) == 200)
            #expect(try await answer(["id": "p-2"]) == 403)
            #expect(try await answer(["patientId": "p-1"]) == 403, "a parameter the group did not declare")
            #expect(try await answer(["id": "p-1", "planId": "tp-1"]) == 403)

            let unbound = PatientBinding(access: SessionAccess(identity: FixedIdentity(user: EHRUser(id: "dr-quinn")),
                                                               database: harness.application.database, now: { harness.clock.now() }),
                                         patientParameter: "id", audience: .programs)
            let request = Request(head: .init(method: .get, scheme: "http", authority: "x", path: "/x"), parameters: ["planId": "tp-1"])
            let served = try await unbound.handle(request) { _ in .text("served") }
            #expect(served.status.code == 200, "without the claim nothing changes")
        }
    }
}
