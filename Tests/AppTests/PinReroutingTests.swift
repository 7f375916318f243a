@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// What a pin settles beyond its tenant: other tenants' connections of the clinic, and events stored for
/// a tenant before the pin said whose they are.
struct PinReroutingTests {
    /// An unpinned tenant keeps its connections; once another tenant pins their clinic they are marked for
    /// reconnection, audited in their own tenant, so the user sees the connect page and the operator why.
    @Test func aPinMarksAnotherTenantsConnectionsOfItsClinicForReconnection() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.connect(session: try await harness.signIn("dr-quinn"), as: "prac-1")
            try await TenancyTests.addLakeside(harness)
            let tenants = ClinicPinningTests.command(harness)
            _ = try await tenants.unpin(Tenant.defaultID)
            _ = try await tenants.pin(TenancyTests.lakeside, clinicID: ConnectedHarness.clinicID)

            #expect(try await PinnedClinicTests.auditRows(harness).contains(
                "default|dr-quinn|fullscript.connection|reconnect_other_clinic|account's clinic clinic-1, pinned by another tenant"))
            #expect(try await harness.application.vault.account(of: EHRUser(id: "dr-quinn")) == nil)
        }
    }

    /// An event taken by the only tenant while unpinned, which is then pinned to another clinic, belongs to
    /// no tenant: recorded ignored, and the tenant that pins its clinic later gets it, applied once.
    @Test func anEventHeldByATenantPinnedSinceToAnotherClinicGoesToTheClinicsTenant() async throws {
        try await withHarness(processWebhooks: false, pinnedDefaultClinic: false) { harness in
            let event = PlanEvent.body("ev-held", plan: PlanEvent.plan("tp-held", patient: "pat-9", practitioner: "prac-4"),
                                       clinic: ConnectedHarness.otherClinicID)
            #expect(try await harness.deliver(event).status == 200)
            let tenants = ClinicPinningTests.command(harness)
            _ = try await tenants.pin(Tenant.defaultID, clinicID: ConnectedHarness.clinicID)
            _ = await harness.application.webhooks.drain()
            #expect(try await PinnedClinicTests.routed(harness)
                == ["ev-held→- ignored (no tenant is pinned to Fullscript clinic \(ConnectedHarness.otherClinicID))"])

            _ = try await tenants.create(id: TenancyTests.lakeside, region: "us", clinicID: ConnectedHarness.otherClinicID)
            _ = await harness.application.webhooks.drain()
            #expect(try await PinnedClinicTests.routed(harness) == ["ev-held→lakeside processed"])
            #expect(try await Self.planOwners(harness, "tp-held") == [TenancyTests.lakeside])
        }
    }

    /// Routing and storing are two transactions: an event found unclaimed, whose clinic is pinned before it
    /// is stored, is pending with no tenant, which a pin's hand-over (of ignored events) does not see.
    @Test func anUnclaimedEventWhoseClinicIsPinnedBeforeItIsProcessedGoesToThatTenant() async throws {
        try await withHarness(processWebhooks: false, pinnedDefaultClinic: false) { harness in
            try await TenancyTests.addLakeside(harness)
            let event = PlanEvent.body("ev-race", plan: PlanEvent.plan("tp-race", patient: "pat-9", practitioner: "prac-4"),
                                       clinic: ConnectedHarness.otherClinicID)
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await PinnedClinicTests.routed(harness)
                == ["ev-race→- pending (no tenant is pinned to Fullscript clinic \(ConnectedHarness.otherClinicID))"])
            _ = try await ClinicPinningTests.command(harness).pin(TenancyTests.lakeside, clinicID: ConnectedHarness.otherClinicID)

            _ = await harness.application.webhooks.drain()
            #expect(try await PinnedClinicTests.routed(harness) == ["ev-race→lakeside processed"])
            #expect(try await Self.planOwners(harness, "tp-race") == [TenancyTests.lakeside])
        }
    }

    private static func planOwners(_ harness: ConnectedHarness, _ plan: String) async throws -> [String] {
        try await harness.application.database.read { connection in
            try connection.query("SELECT tenant_id FROM treatment_plans WHERE id = ?", [.text(plan)]) { try $0.string("tenant_id") }
        }
    }
}
