@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// The edges of a pin and of the patient sync: connections and events of a clinic another practice pinned
/// since, backoff kept across connections and newer changes, one unusable token passed over. (Started as
/// the final attacker review's reproductions: each failed when written.)
struct PinAndSyncEdgeTests {
    /// `tenants unpin` keeps the tenant's connections, and an unpinned tenant uses all of them
    /// (`ofThePinnedClinic` passes every connection of a tenant with no pin). Once the operator pins that
    /// clinic to another practice, the first practice's users still reach it: their clicks write drafts for
    /// their patients into the other practice's clinic, and its service reads see that clinic's patients.
    @Test func anUnpinnedTenantsConnectionsDoNotReachAClinicNowPinnedByAnotherTenant() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn("dr-quinn")
            try await harness.connect(session: session, as: "prac-1")
            try await TenancyTests.addLakeside(harness)
            let tenants = ClinicPinningTests.command(harness)
            _ = try await tenants.unpin(Tenant.defaultID)
            _ = try await tenants.pin(TenancyTests.lakeside, clinicID: ConnectedHarness.clinicID)
            let before = await harness.sandbox.recordedRequests().count

            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.header("location")?.hasPrefix("/oauth/fullscript/connect") == true,
                    "default's click went through an account of Lakeside's clinic: \(click.status) \(click.header("location") ?? "-")")
            let reached = await harness.sandbox.recordedRequests().dropFirst(before).map(\.path)
            #expect(reached.isEmpty, "default reached clinic-1, now Lakeside's: \(reached)")
            let users = try await harness.application.vault.connectedUsers(in: Tenant.defaultID).map(\.id)
            #expect(users.isEmpty, "default's service work still goes through clinic-1: \(users)")
        }
    }

    /// An event is given its tenant when it is stored, and applied to it later. While the only tenant is
    /// unpinned it takes events of every clinic; when the operator then adds the practice whose clinic it
    /// is, pinned, the events already queued are still applied to `default`: the plan lands in the wrong
    /// practice, and Lakeside never gets it (its reconcile cannot claim an event already another's).
    @Test func anEventQueuedBeforeItsClinicsTenantExistedIsNotAppliedToAnother() async throws {
        try await withHarness(processWebhooks: false, pinnedDefaultClinic: false) { harness in
            let event = PlanEvent.body("ev-inflight", plan: PlanEvent.plan("tp-lake", patient: "pat-9", practitioner: "prac-4"),
                                       clinic: ConnectedHarness.otherClinicID)
            #expect(try await harness.deliver(event).status == 200)
            _ = try await ClinicPinningTests.command(harness).create(id: TenancyTests.lakeside, region: "us",
                                                                     clinicID: ConnectedHarness.otherClinicID)
            _ = await harness.application.webhooks.drain()

            let routed = try await PinnedClinicTests.routed(harness)
            #expect(!routed.contains("ev-inflight→default processed"), "clinic-2's event applied to default: \(routed)")
            let owners = try await harness.application.database.read { connection in
                try connection.query("SELECT tenant_id FROM treatment_plans WHERE id = 'tp-lake'") { try $0.string("tenant_id") }
            }
            #expect(!owners.contains(Tenant.defaultID), "Lakeside's plan stored in default: \(owners)")
        }
    }

    /// A connection releases every pending change of its tenant, not only those waiting for one: a change
    /// in backoff after Fullscript's 429 (or a 5xx) goes out again at once. Anyone of the practice who
    /// reconnects (or connects and disconnects in a loop) spends the change's five tries within seconds of a
    /// rate limit, and it settles failed instead of backing off.
    @Test func aConnectionDoesNotCutShortTheBackoffAfterARateLimit() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, _) = try await PatientSyncTests.linkedJordan(harness)
            await harness.sandbox.setFaults([.status(429)], count: nil, pathPrefix: "/api/clinic/patients/")
            #expect(try await harness.putPatient("p-1001", body: PatientSyncTests.changed, key: key).status == 200)
            #expect(try await eventually { try await PatientSyncTests.outboxRow(harness).attempts == 1 })
            let backingOff = try await PatientSyncTests.outboxRow(harness)
            #expect(backingOff.due > harness.clock.now())

            try await harness.connect(session: try await harness.signIn("dr-lee"), as: "prac-2")
            let after = try await PatientSyncTests.outboxRow(harness)
            #expect(after.attempts == 1 && after.due == backingOff.due,
                    "a connection made the rate-limited change due at once: attempts \(after.attempts), due \(after.due) (was \(backingOff.due))")
        }
    }

    /// A connection made before connections recorded their clinic is asked (GET /clinic) on its first use.
    /// When that question is refused, the outbox takes the refusal for Fullscript's answer to the change and
    /// settles it failed, though the patient update was never sent and another practitioner of the practice
    /// was connected, of the pinned clinic, and could have sent it.
    @Test func aRefusedClinicCheckOfOneConnectionIsNotTheChangesAnswer() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await Self.twoConnectedTheOldestUncheckable(harness)
            #expect(try await harness.putPatient("p-1001", body: PatientSyncTests.changed, key: key).status == 200)
            #expect(try await eventually {
                let attempts = try await PatientSyncTests.outboxRow(harness).attempts
                return try await PatientSyncTests.status(harness) != "pending" || attempts > 0
            })
            let sync = try #require(try await PatientSyncTests.sync(harness, key: key))
            let updates = await PatientSyncTests.updates(harness, fullscriptID).count
            #expect(sync["status"] as? String != "failed", "settled failed by a refused GET /clinic, \(updates) updates sent: \(sync)")
        }
    }

    /// The same refused clinic check on the service API's plan read: the oldest practitioner's older
    /// connection cannot be checked just now, and the read goes through the next practitioner instead
    /// of answering an error.
    @Test func aRefusedClinicCheckOfOneConnectionDoesNotStopTheServiceRead() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, _) = try await Self.twoConnectedTheOldestUncheckable(harness)
            let plans = try await TenancyTests.service(harness, "GET", "/api/v1/patients/p-1001/treatment-plans", key: key)
            #expect(plans.status == 200, "\(plans.status): \(plans.text)")
        }
    }

    /// A client sending one PUT after another while Fullscript answers 429 does not push at its own
    /// pace: a newer version waits for the backoff the last answer set, and keeps its tries.
    @Test func aNewerChangeWaitsOutTheBackoffOfTheLast() async throws {
        try await withHarness(try await RecommendRoutesTests.harness()) { harness in
            let (key, fullscriptID) = try await PatientSyncTests.linkedJordan(harness)
            await harness.sandbox.setFaults([.status(429)], count: nil, pathPrefix: "/api/clinic/patients/")
            #expect(try await harness.putPatient("p-1001", body: PatientSyncTests.changed, key: key).status == 200)
            #expect(try await eventually { try await PatientSyncTests.outboxRow(harness).attempts == 1 })
            let backingOff = try await PatientSyncTests.outboxRow(harness)
            let sent = await PatientSyncTests.updates(harness, fullscriptID).count

            let newer = #"{"email":"jordan.r@example.com","first_name":"Jordan","last_name":"Rivera-Lee","date_of_birth":"1984-03-13"}"#
            #expect(try await harness.putPatient("p-1001", body: newer, key: key).status == 200)
            let after = try await PatientSyncTests.outboxRow(harness)
            #expect(after.due == backingOff.due, "the newer version is due \(after.due), the backoff ran to \(backingOff.due)")
            #expect(after.attempts == backingOff.attempts, "the backoff starts over at its first step: \(after.attempts) tries")
            #expect(await PatientSyncTests.updates(harness, fullscriptID).count == sent)
        }
    }

    /// The same, for a connection made before connections recorded their clinic: in an unpinned tenant
    /// it is asked which clinic it is on its first use too, and one of a clinic another tenant pinned is
    /// never used.
    @Test func anUnrecordedConnectionOfAnUnpinnedTenantDoesNotReachAnotherTenantsClinic() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn("dr-quinn")
            try await harness.connect(session: session, as: "prac-1")
            try await TenancyTests.addLakeside(harness)
            let tenants = ClinicPinningTests.command(harness)
            _ = try await tenants.unpin(Tenant.defaultID)
            // As the release before connections recorded their clinic left it.
            try await Self.forgetRecordedClinic(of: "dr-quinn", harness)
            _ = try await tenants.pin(TenancyTests.lakeside, clinicID: ConnectedHarness.clinicID)
            let before = await harness.sandbox.recordedRequests().count

            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(click.header("location")?.hasPrefix("/oauth/fullscript/connect") == true,
                    "\(click.status) \(click.header("location") ?? "-")")
            let reached = await harness.sandbox.recordedRequests().dropFirst(before).map(\.path)
            #expect(!reached.contains { $0.contains("dynamic_links") }, "default reached clinic-1, now Lakeside's: \(reached)")
            #expect(try await harness.application.vault.connectedUsers(in: Tenant.defaultID).isEmpty)
        }
    }

    /// A connection as the release before connections recorded their clinic left it.
    static func forgetRecordedClinic(of user: String, _ harness: ConnectedHarness) async throws {
        try await harness.application.database.write { connection in
            _ = try connection.execute("UPDATE fullscript_connections SET fullscript_clinic_id = NULL WHERE ehr_user_id = ?", [.text(user)])
        }
    }

    /// Jordan linked through dr-quinn, dr-lee connected too; dr-quinn's older connection is asked its clinic
    /// on its next use, and Fullscript refuses that one question.
    static func twoConnectedTheOldestUncheckable(_ harness: ConnectedHarness) async throws -> (key: String, fullscriptID: String) {
        let linked = try await PatientSyncTests.linkedJordan(harness)
        try await harness.connect(session: try await harness.signIn("dr-lee"), as: "prac-2")
        try await forgetRecordedClinic(of: "dr-quinn", harness)
        await harness.sandbox.setFaults([.status(403)], count: 1, pathPrefix: "/api/clinic")
        return linked
    }
}
