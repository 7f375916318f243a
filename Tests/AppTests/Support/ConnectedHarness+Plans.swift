@testable import App
import Foundation
import Fullscript
import FullscriptSandbox
import HTTPTypes
import Server
import ServerTesting
import Store
import Testing

extension ConnectedHarness {
    /// What webhook processing does with a plan: merge it, which tells the charts it concerns.
    func deliver(_ plan: TreatmentPlan) async throws {
        try await application.plans.merge(plan, in: Tenant.defaultID, source: .webhook)
    }

    func planStream(_ patient: String, session: String?, headers: [String] = [], query: String = "") async throws -> EventStreamReader {
        try await EventStreamReader(port: application.port, target: "/ehr/api/patients/\(patient)/treatment-plans/events" + query,
                              headers: (session.map { ["Cookie: \($0)"] } ?? []) + headers)
    }

    /// A stream opened without an id, read up to its `ready` event.
    func readyStream(_ patient: String, session: String) async throws -> (stream: EventStreamReader, ready: EventFrame) {
        let stream = try await planStream(patient, session: session)
        #expect(stream.status == 200)
        let (ready, before) = try await stream.nextEvent()
        #expect(before.map(\.description) == ["retry: 2000"])
        #expect(ready.event == "ready")
        return (stream, ready)
    }

    /// Subscriptions end on another thread than the test's: waits for the count to get there.
    func waitFor(openStreams count: Int) async throws -> Bool {
        await eventually { application.planUpdates.openStreams == count }
    }

    /// The practitioner activates the plan on the simulator's plan page, for `patient`.
    /// Activates the draft at the simulator for `patient`; `fields` add to or replace the plan page's form
    /// (`variant_ids`, `dosage.<variant>.<field>`, ...).
    func activate(_ planID: String, patient: String, with fields: [String: String] = [:]) async throws {
        let form = ["patient_id": patient, "personal_message": "Take these with food"].merging(fields) { $1 }
            .map { "\($0.key)=\(FormURLEncoding.escape($0.value))" }.joined(separator: "&")
        let activated = try await fullscript.execute("POST /sandbox/plans/\(planID)/activate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)")
        #expect(activated.status == 303)
    }

    func refreshPlans(_ patient: String, session: String, site: String? = "same-origin", origin: String? = nil) async throws -> TestResponse {
        try await request("POST /ehr/api/patients/\(patient)/treatment-plans/refresh",
                    headers: ["Cookie: \(session)", "Content-Length: 0"] + (site.map { ["Sec-Fetch-Site: \($0)"] } ?? [])
                        + (origin.map { ["Origin: \($0)"] } ?? []))
    }

    /// The same refresh, for callers that only need its status.
    func refreshPlansAsync(_ patient: String, session: String) async throws -> Int {
        try await refreshPlans(patient, session: session).status
    }
}
