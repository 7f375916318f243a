@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// An attacker's reading of the `patient` and `roles` launch claims: what was tried and held, and the
/// two holes it found (each failed before its fix).
struct LaunchClaimsAttackTests {
    typealias L = LaunchClaimsTests

    /// Other spellings of another patient's path: doubled slashes, a trailing slash, percent-encoding,
    /// HEAD for GET, case. None reaches the other patient, none makes a click.
    @Test func holdsBoundSessionAgainstPathSpellings() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await L.session(#""patient":"p-1""#, on: harness)
            let attempts: [(String, String)] = [
                ("GET", "//recommend/p-2"), ("GET", "/recommend/p-2/"), ("GET", "/recommend//p-2"), ("GET", "/recommend/p%2D2"),
                ("GET", "/recommend/%70-2"), ("HEAD", "/recommend/p-2"), ("GET", "/recommend/p-2/opening/"),
                ("GET", "/Recommend/p-2"), ("GET", "/recommend/P-2"),
                ("GET", "//ehr/api/patients/p-2"), ("GET", "/ehr/api/patients/p-2/"), ("GET", "/ehr/api/patients/p%2D2"),
                ("GET", "/ehr/api//patients/p-2/treatment-plans"), ("GET", "/ehr/api/patients/p-2/treatment-plans/events/"),
                ("POST", "/ehr/api/patients/p%2d2/treatment-plans/refresh"), ("HEAD", "/ehr/api/patients/p-2"),
                ("GET", "/ehr/api/patients/p-1/../p-2"), ("GET", "/ehr/api/patients/p-1%2F..%2Fp-2"),
                ("GET", "/ehr/api/patients?patient=p-2"), ("GET", "/ehr/api/patients?after=p-0&limit=200"),
                ("GET", "/ehr/api/patients?after="), ("GET", "/ehr/api/EHR/patients/p-2"),
            ]
            for (method, path) in attempts {
                let answer = try await L.send(method, path, session: session, on: harness, accept: "application/json")
                if path.hasPrefix("/ehr/api/patients?") {
                    let ids = (try answer.json["patients"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                    #expect(ids == ["p-1"] || ids == [], "\(method) \(path): \(answer.text)")
                } else {
                    #expect([403, 404, 400, 405].contains(answer.status), "\(method) \(path): \(answer.status) \(answer.text)")
                    #expect(!answer.text.contains("p-2@example.com"), "\(method) \(path) leaked p-2")
                }
            }
            #expect(try await harness.recommendations().isEmpty)
        }
    }

    /// The claims' types: anything but a plain string `patient` and a short array of known role strings is refused.
    @Test func holdsClaimTypeConfusion() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let roles17 = "[" + Array(repeating: #""viewer""#, count: 17).joined(separator: ",") + "]"
            let cases = [
                #""patient":["p-1"]"#, #""patient":{"id":"p-1"}"#, #""patient":true"#, #""patient":null"#, #""patient":"p-1\u0000""#,
                #""patient":"p-1/../p-2""#, #""roles":[["viewer"]]"#, #""roles":[1]"#, #""roles":["viewer",null]"#,
                #""roles":{"0":"viewer"}"#, #""roles":true"#, #""roles":["Viewer"]"#, #""roles":["viewer "]"#, "\"roles\":\(roles17)",
            ]
            for claims in cases {
                let answer = try await harness.get("/launch?token=\(L.token(claims, on: harness))", user: nil)
                #expect(answer.status == 401, "\(claims): \(answer.status)")
                #expect(answer.header("set-cookie") == nil, "\(claims)")
            }
        }
    }

    /// A viewer: HEAD for the click's GET, and the staff picker's answer, are refused like the GET.
    @Test func holdsViewerAgainstHeadAndPicker() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let unbound = try await L.session("", on: harness)
            try await harness.connect(session: unbound)
            let viewer = try await L.session(#""roles":["viewer"]"#, on: harness)
            for (method, path) in [("HEAD", "/recommend/p-1"), ("GET", "/recommend/p-1?practitioner_id=prac-1&remember=1&click=abcdefghijklmnop"),
                                   ("HEAD", "/recommend/p-1/opening"), ("POST", "/ehr/api/patients/p-1/treatment-plans/refresh")] {
                let answer = try await L.send(method, path, session: viewer, on: harness)
                #expect(answer.status == 403, "\(method) \(path): \(answer.status)")
            }
            #expect(try await harness.recommendations().isEmpty)
        }
    }

    /// Seen: a click's `click=` id joined the click in flight by user id alone, after `PatientBinding` had
    /// checked only the joiner's own path. A session bound to p-1 repeating `/recommend/p-1?click=N` while
    /// the same user's unbound session ran `/recommend/p-2?click=N` was handed p-2's draft link.
    @Test func aBoundSessionNeverJoinsAnotherPatientsClick() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let unbound = try await L.session("", on: harness)
            try await harness.connect(session: unbound)
            let bound = try await L.session(#""patient":"p-1""#, on: harness)
            await harness.sandbox.setFaults([.latency(.milliseconds(800))])
            let nonce = "abcdefghijklmnopqrstu"
            async let other = harness.get("/recommend/p-2?click=\(nonce)", user: nil, cookie: unbound)
            let mine = try await harness.get("/recommend/p-1?click=\(nonce)", user: nil, cookie: bound)
            let theirs = try await other
            #expect(theirs.status == 302)
            #expect(mine.status == 302, "\(mine.status)")
            #expect(mine.header("location") != theirs.header("location"),
                    "the p-1-bound session was handed the draft link made for p-2")
            #expect(try await harness.recommendations().contains { $0.contains("|p-1|") }, "no click for p-1 was ever recorded")
        }
    }

    /// Seen: what a session may do was kept only in `sessions`, whose rows go when they expire; the
    /// audit trail's `session.start` said nothing of `patient` or `roles`.
    @Test func theSessionStartAuditRecordsTheClaims() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            _ = try await L.session(#""patient":"p-1","roles":["viewer"]"#, on: harness)
            let rows = try await harness.application.database.read { connection in
                try connection.query("SELECT subject, detail FROM audit_log WHERE action = 'session.start'") {
                    "\(try $0.optionalString("subject") ?? "") \(try $0.optionalString("detail") ?? "")"
                }
            }
            #expect(rows.count == 1)
            #expect(rows == ["p-1 roles=viewer"], "session.start should record the claims: \(rows)")
        }
    }

    /// Seen: the refused id went into the audit row percent-decoded and unchecked (a terminal escape here).
    @Test func aRefusalsAuditRowHoldsNoRawInput() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            let session = try await L.session(#""patient":"p-1""#, on: harness)
            #expect(try await L.send("GET", "/recommend/%1B%5D0%3Bpwned%07", session: session, on: harness).status == 403)
            #expect(try await L.send("GET", "/recommend/p-2", session: session, on: harness).status == 403)
            let subjects = try await harness.application.database.read { connection in
                try connection.query("SELECT subject FROM audit_log WHERE action = 'access.refused' ORDER BY id") {
                    try $0.optionalString("subject") ?? ""
                }
            }
            #expect(subjects == ["(not a patient id)", "p-2"])
        }
    }
}
