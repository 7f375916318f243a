@testable import App
import Foundation
import ServerTesting
import Store
import Testing
import Server

struct PatientRoutesTests {
    static let jordan = #"""
        {"email":"jordan.rivera@example.com","first_name":"Jordan","last_name":"Rivera",
         "date_of_birth":"1984-03-12","gender":"x","mobile_number":"+12223334444"}
        """#

    @Test func everyRouteNeedsALiveServiceKey() async throws {
        try await withPatientAPI { harness in
            _ = try await harness.put("p-1", Self.jordan)
            let revoked = try await harness.keys.create(name: "old-sync", tenant: Tenant.defaultID)
            try await harness.keys.revoke(name: "old-sync")
            let cases: [(key: String?, challenge: String)] = [
                (nil, "Bearer"), ("fsr_" + String(repeating: "A", count: 43), #"Bearer error="invalid_token""#),
                (revoked, #"Bearer error="invalid_token""#), ("not-a-key", #"Bearer error="invalid_token""#),
            ]
            for (key, challenge) in cases {
                for method in ["GET", "PUT", "DELETE"] {
                    let body = method == "PUT" ? Self.jordan : nil
                    let response = try await harness.send(method, "p-1", body: body, key: .some(key), requestID: "req-401")
                    #expect(response.status == 401, "\(method) \(key ?? "no key")")
                    #expect(response.header("www-authenticate") == challenge)
                    #expect(response.header("content-type") == "application/json")
                    let error = try response.apiError
                    #expect(error["code"] as? String == "unauthorized")
                    #expect(error["request_id"] as? String == "req-401")
                    #expect((error["message"] as? String)?.isEmpty == false)
                }
            }
            // A bad id is not reported to a caller without a key.
            #expect(try await harness.send("GET", "bad%20id", key: .some(nil)).status == 401)
            #expect(try await harness.rows("SELECT * FROM patients WHERE deleted_at IS NULL").count == 1)
            #expect(try await harness.rows("SELECT * FROM audit_log WHERE actor LIKE 'service:%'").count == 1)
        }
    }

    @Test func listsPatientsInCursorPagesWithAServiceKey() async throws {
        try await withPatientAPI { harness in
            for id in ["p-3", "p-1", "p-2"] { #expect(try await harness.put(id, Self.jordan).status == 201) }
            #expect(try await harness.send("DELETE", "p-2").status == 204)
            _ = try await harness.put("p-4", Self.jordan)
            let first = try await harness.send("GET", path: "/api/v1/patients?limit=2")
            #expect(first.status == 200)
            #expect(first.header("cache-control") == "no-store")
            let firstJSON = try first.json
            #expect((firstJSON["patients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["p-1", "p-3"])
            #expect(firstJSON["next_after"] as? String == "p-3")
            let last = try await harness.send("GET", path: "/api/v1/patients?limit=2&after=p-3").json
            #expect((last["patients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["p-4"])
            #expect(last["next_after"] == nil)
            for limit in ["0", "201"] {
                #expect(try await harness.send("GET", path: "/api/v1/patients?limit=\(limit)").apiError["code"] as? String == "bad_limit")
            }
            #expect(try await harness.send("GET", path: "/api/v1/patients", key: .some(nil)).status == 401)
        }
    }

    /// The contract is served as YAML, and names every JSON route the server has, so a new route
    /// cannot ship undocumented (scripts/contract-test.sh then checks what the document says).
    @Test func servesAnOpenAPIDocumentCoveringEveryJSONRoute() async throws {
        try await withPatientAPI { harness in
            let response = try await harness.send("GET", path: "/openapi.yaml", key: .some(nil))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/yaml")
            let document = String(decoding: response.body, as: UTF8.self)
            #expect(document.hasPrefix("#") && document.contains("\nopenapi: 3.1."))
            let json = ["/api/", "/ehr/api/", "/healthz", "/readyz", "/webhooks/"]
            let routes = harness.application.routes.filter { route in json.contains { route.split(separator: " ")[1].hasPrefix($0) } }
            #expect(routes.count >= 12)
            for route in routes {
                let parts = route.split(separator: " ")
                // `:name` in the router is `{name}` in OpenAPI.
                let path = parts[1].split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                let key = "\n  /" + path.joined(separator: "/") + ":\n"
                guard let start = document.range(of: key) else {
                    Issue.record("\(route) is not in openapi.yaml")
                    continue
                }
                // The path's section runs from its key's newline to the next path (or the end): the method must be in it.
                let rest = document[document.index(before: start.upperBound)...]
                let section = rest[..<(rest.range(of: "\n  /")?.lowerBound ?? rest.endIndex)]
                #expect(section.contains("\n    \(parts[0].lowercased()):\n"), "\(route): no operation in openapi.yaml")
            }
        }
    }

    @Test func createsReplacesReadsAndAudits() async throws {
        try await withPatientAPI { harness in
            let created = try await harness.send("PUT", "p-1001", body: Self.jordan, requestID: "req-create")
            #expect(created.status == 201)
            #expect(created.header("location") == "/api/v1/patients/p-1001")
            #expect(created.header("cache-control") == "no-store")
            let patient = try created.json
            #expect(patient["id"] as? String == "p-1001")
            #expect(patient["email"] as? String == "jordan.rivera@example.com")
            #expect(patient["first_name"] as? String == "Jordan")
            #expect(patient["last_name"] as? String == "Rivera")
            #expect(patient["date_of_birth"] as? String == "1984-03-12")
            #expect(patient["gender"] as? String == "x")
            #expect(patient["mobile_number"] as? String == "+12223334444")
            #expect(patient["fullscript_patient_id"] is NSNull)
            #expect(Set(patient.keys) == ["id", "email", "first_name", "last_name", "date_of_birth", "gender", "mobile_number",
                                          "fullscript_patient_id", "created_at", "updated_at", "fullscript_sync"])
            #expect(patient["fullscript_sync"] is NSNull, "nothing to push for a patient not linked")
            let createdAt = try #require(patient["created_at"] as? String)

            let read = try await harness.send("GET", "p-1001")
            #expect(read.status == 200)
            #expect(read.text == created.text)

            // Full replacement: fields left out are cleared, the mapping and creation date stay.
            try await PatientStore(database: harness.application.database)
                .recordMapping(ehrPatientID: "p-1001", fullscriptPatientID: "fs-9", in: Tenant.defaultID, at: Date())
            harness.clock.advance(by: 10)
            let replaced = try await harness.put("p-1001", #"{"email":"jordan@example.com","first_name":"Jo","gender":null}"#)
            #expect(replaced.status == 200)
            #expect(replaced.header("location") == nil)
            let after = try replaced.json
            #expect(after["email"] as? String == "jordan@example.com")
            #expect(after["first_name"] as? String == "Jo")
            for field in ["last_name", "date_of_birth", "gender", "mobile_number"] {
                #expect(after[field] is NSNull, "\(field)")
            }
            #expect(after["fullscript_patient_id"] as? String == "fs-9")
            #expect(after["created_at"] as? String == createdAt)
            #expect(try #require(after["updated_at"] as? String) > createdAt)

            let row = try #require(try await harness.rows("SELECT * FROM patients").first)
            #expect(try row.optionalString("email") == "jordan@example.com")
            #expect(try row.optionalString("last_name") == nil)

            let audit = try await harness.rows("SELECT * FROM audit_log WHERE action LIKE 'patient.%' ORDER BY id")
            #expect(audit.count == 2)
            #expect(try audit.allSatisfy { try $0.string("actor") == "service:ehr-sync" && $0.string("action") == "patient.upsert" })
            #expect(try audit.allSatisfy { try $0.optionalString("subject") == "p-1001" && $0.optionalString("detail") == nil })
            #expect(try audit[0].optionalString("request_id") == "req-create")
            let written = audit.flatMap(\.values).map { "\($0)" }.joined()
            #expect(!written.contains("jordan") && !written.contains("Rivera") && !written.contains("1984"))
        }
    }

    @Test func deletesToATombstoneAndRevivesOnPut() async throws {
        try await withPatientAPI { harness in
            #expect(try await harness.send("GET", "p-404").status == 404)
            #expect(try await harness.send("GET", "p-404").apiError["code"] as? String == "patient_not_found")
            #expect(try await harness.send("DELETE", "p-404").status == 404)

            _ = try await harness.put("p-1", Self.jordan)
            let deleted = try await harness.send("DELETE", "p-1", requestID: "req-delete")
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            let gone = try await harness.send("GET", "p-1")
            #expect(gone.status == 410)
            #expect(try gone.apiError["code"] as? String == "patient_deleted")
            #expect(try await harness.send("DELETE", "p-1").status == 404)

            let row = try #require(try await harness.rows("SELECT * FROM patients WHERE ehr_patient_id = 'p-1'").first)
            #expect(try row.optionalString("deleted_at") != nil)
            #expect(try row.optionalString("email") == nil && row.optionalString("first_name") == nil)

            let deletions = try await harness.rows("SELECT * FROM audit_log WHERE action = 'patient.delete'")
            #expect(deletions.count == 1)
            #expect(try deletions.first?.string("actor") == "service:ehr-sync")
            #expect(try deletions.first?.optionalString("subject") == "p-1")
            #expect(try deletions.first?.optionalString("request_id") == "req-delete")

            let revived = try await harness.put("p-1", #"{"email":"casey.brooks@example.com"}"#)
            #expect(revived.status == 201)
            #expect(try await harness.send("GET", "p-1").json["email"] as? String == "casey.brooks@example.com")
        }
    }

    @Test func acceptsOnlyWellFormedPatientIDs() async throws {
        try await withPatientAPI { harness in
            for id in ["a", "EHR:p.1_2-3", String(repeating: "9", count: 64)] {
                #expect(try await harness.put(id, "{}").status == 201, "\(id)")
                #expect(try await harness.send("GET", id).status == 200, "\(id)")
            }
            for id in [String(repeating: "9", count: 65), "p%201", "p%2F1", "p*1", "%C3%A9", "p%3B1"] {
                for method in ["GET", "PUT", "DELETE"] {
                    let response = try await harness.send(method, id, body: method == "PUT" ? "{}" : nil)
                    #expect(response.status == 400, "\(method) \(id)")
                    #expect(try response.apiError["code"] as? String == "invalid_patient_id")
                }
            }
        }
    }

    @Test func refusesWhatIsNotAJSONObject() async throws {
        try await withPatientAPI { harness in
            for contentType in [nil, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"] {
                let response = try await harness.send("PUT", "p-1", body: Self.jordan, contentType: contentType)
                #expect(response.status == 415, "\(contentType ?? "none")")
                #expect(try response.apiError["code"] as? String == "unsupported_media_type")
            }
            #expect(try await harness.send("PUT", "p-1", body: Self.jordan, contentType: "Application/JSON; charset=utf-8").status == 201)

            for body in ["", "{", "{\"email\":}", "nope"] {
                let response = try await harness.put("p-2", body)
                #expect(response.status == 400, "\(body)")
                #expect(try response.apiError["code"] as? String == "invalid_json")
            }
            for body in ["[]", "\"text\"", "42", "null"] {
                let response = try await harness.put("p-2", body)
                #expect(response.status == 422, "\(body)")
                #expect(try response.apiError["code"] as? String == "validation_failed")
            }

            let limit = PatientRoutes.maxBodySize
            let oversized = #"{"first_name":""# + String(repeating: "a", count: limit) + #""}"#
            let tooLarge = try await harness.put("p-2", oversized)
            #expect(tooLarge.status == 413)
            #expect(try tooLarge.apiError["code"] as? String == "content_too_large", "the server's own refusal, in the API's shape")
            #expect(try tooLarge.apiError["request_id"] as? String == tooLarge.header("x-request-id"))
            #expect(try await harness.rows("SELECT * FROM patients WHERE ehr_patient_id = 'p-2'").isEmpty)
        }
    }

    @Test func validatesEveryFieldAndReportsEveryProblem() async throws {
        try await withPatientAPI { harness in
            let latestToday = Date().addingTimeInterval(14 * 3600).formatted(.iso8601.year().month().day())
            let twoDaysAhead = Date().addingTimeInterval(14 * 3600 + 2 * 86_400).formatted(.iso8601.year().month().day())
            let accepted: [String] = [
                #"{}"#, #"{"email":null,"first_name":null}"#, #"{"date_of_birth":"1990-01-01"}"#,
                #"{"email":"a@b.co"}"#, #"{"email":"o'neil+tag@mail.example.org"}"#,
                #"{"email":"\#(String(repeating: "a", count: 242))@example.com"}"#,
                #"{"email":"a@example.com","first_name":"\#(String(repeating: "é", count: 100))"}"#,
                #"{"email":"a@example.com","last_name":"Kim"}"#,
                #"{"date_of_birth":"2000-02-29"}"#, #"{"date_of_birth":"\#(latestToday)"}"#,
                #"{"gender":"male"}"#, #"{"gender":"female"}"#, #"{"gender":"x"}"#,
                #"{"mobile_number":"+1234567"}"#, #"{"mobile_number":"+123456789012345"}"#,
            ]
            for body in accepted {
                let response = try await harness.put("p-ok", body)
                #expect(response.status == 200 || response.status == 201, "\(body): \(response.text)")
            }

            let refused: [(body: String, field: String)] = [
                (#"{"email":"a@b"}"#, "email"), (#"{"email":"@example.com"}"#, "email"), (#"{"email":"a@@example.com"}"#, "email"),
                (#"{"email":"a@b@example.com"}"#, "email"), (#"{"email":"a b@example.com"}"#, "email"),
                (#"{"email":"a@example..com"}"#, "email"), (#"{"email":"a@.example.com"}"#, "email"),
                (#"{"email":"a@example.com."}"#, "email"), (#"{"email":"a@example.com\n"}"#, "email"),
                (#"{"email":"jordan"}"#, "email"), (#"{"email":""}"#, "email"),
                (#"{"email":"\#(String(repeating: "a", count: 243))@example.com"}"#, "email"),
                (#"{"email":"a@example.com","first_name":"\#(String(repeating: "a", count: 101))"}"#, "first_name"),
                (#"{"email":"a@example.com","last_name":"\#(String(repeating: "a", count: 101))"}"#, "last_name"),
                (#"{"email":"a@example.com","first_name":"   "}"#, "first_name"),
                (#"{"email":"a@example.com","last_name":"K\u0000im"}"#, "last_name"),
                (#"{"date_of_birth":"2023-02-29"}"#, "date_of_birth"), (#"{"date_of_birth":"1900-02-29"}"#, "date_of_birth"),
                (#"{"date_of_birth":"2024-13-01"}"#, "date_of_birth"), (#"{"date_of_birth":"2024-04-31"}"#, "date_of_birth"),
                (#"{"date_of_birth":"2024-00-10"}"#, "date_of_birth"), (#"{"date_of_birth":"2024-1-01"}"#, "date_of_birth"),
                (#"{"date_of_birth":"84-03-12"}"#, "date_of_birth"), (#"{"date_of_birth":"1984/03/12"}"#, "date_of_birth"),
                (#"{"date_of_birth":"1984-03-12T00:00:00Z"}"#, "date_of_birth"), (#"{"date_of_birth":"0000-01-01"}"#, "date_of_birth"),
                (#"{"date_of_birth":"+984-03-12"}"#, "date_of_birth"),
                (#"{"date_of_birth":"\#(twoDaysAhead)"}"#, "date_of_birth"), (#"{"date_of_birth":"2999-01-01"}"#, "date_of_birth"),
                (#"{"gender":"Male"}"#, "gender"), (#"{"gender":"other"}"#, "gender"), (#"{"gender":"f"}"#, "gender"),
                (#"{"mobile_number":"12223334444"}"#, "mobile_number"), (#"{"mobile_number":"+0123456789"}"#, "mobile_number"),
                (#"{"mobile_number":"+123456"}"#, "mobile_number"), (#"{"mobile_number":"+1234567890123456"}"#, "mobile_number"),
                (#"{"mobile_number":"+1 222 333 4444"}"#, "mobile_number"), (#"{"mobile_number":"+1-222-333-4444"}"#, "mobile_number"),
                (#"{"mobile_number":"+١٢٣٤٥٦٧٨"}"#, "mobile_number"),
                (#"{"email":42}"#, "email"), (#"{"gender":true}"#, "gender"), (#"{"first_name":{},"email":"a@example.com"}"#, "first_name"),
                (#"{"mobile_number":["+12223334444"]}"#, "mobile_number"), (#"{"date_of_birth":19840312}"#, "date_of_birth"),
                (#"{"middle_name":"Lee"}"#, "middle_name"), (#"{"id":"p-9"}"#, "id"),
            ]
            for (body, field) in refused {
                let response = try await harness.put("p-bad", body)
                #expect(response.status == 422, "\(body)")
                #expect(try response.apiError["code"] as? String == "validation_failed")
                #expect(try response.problemFields == [field], "\(body): \(response.text)")
                #expect(try (response.apiError["message"] as? String)?.contains(field) == true)
            }

            let everything = try await harness.put("p-bad", #"""
                {"email":"nope","first_name":7,"last_name":"\#(String(repeating: "a", count: 101))","date_of_birth":"2023-02-30",
                 "gender":"M","mobile_number":"555-1234","nickname":"J","age":40}
                """#)
            #expect(everything.status == 422)
            #expect(try everything.problemFields
                == ["email", "first_name", "last_name", "date_of_birth", "gender", "mobile_number", "age", "nickname"])
            let message = try #require(try everything.apiError["message"] as? String)
            for field in ["email", "first_name", "last_name", "date_of_birth", "gender", "mobile_number", "age", "nickname"] {
                #expect(message.contains(field), "\(field)")
            }

            #expect(try await harness.rows("SELECT * FROM patients WHERE ehr_patient_id = 'p-bad'").isEmpty)
            #expect(try await harness.rows("SELECT * FROM audit_log WHERE subject = 'p-bad'").isEmpty)
        }
    }

    @Test func aDependentMayHaveNamesWithoutAnEmail() async throws {
        try await withPatientAPI { harness in
            let saved = try await harness.put("p-1003", #"{"first_name":"Taylor","last_name":"Kim","email":null,"gender":"x"}"#)
            #expect(saved.status == 201, "\(saved.text)")
            #expect(saved.text.contains(#""first_name":"Taylor""#) && saved.text.contains(#""email":null"#))
        }
    }

    @Test func unknownPathsAndMethodsUnderTheAPIAnswerInTheAPIsErrorShape() async throws {
        try await withPatientAPI { harness in
            let unknown = try await harness.send("GET", path: "/api/v1/nothing-here", requestID: "req-unknown")
            #expect(unknown.status == 404)
            #expect(unknown.header("content-type") == "application/json")
            #expect(try unknown.apiError["code"] as? String == "not_found")
            #expect(try unknown.apiError["request_id"] as? String == "req-unknown")
            let wrongMethod = try await harness.send("POST", "p-1", body: "{}")
            #expect(wrongMethod.status == 405)
            #expect(try wrongMethod.apiError["code"] as? String == "method_not_allowed")
            #expect(wrongMethod.header("allow") == "PUT, GET, DELETE, HEAD")
            #expect(try await harness.send("GET", path: "/ehr/api/nothing").apiError["code"] as? String == "not_found")
            #expect(try await harness.send("GET", path: "/webhooks/other").apiError["code"] as? String == "not_found")

            let page = try await harness.send("DELETE", path: "/index.html")
            #expect(page.status == 404)
            #expect(page.header("content-type") == "text/plain; charset=utf-8", "pages for people stay text")
        }
    }
}
