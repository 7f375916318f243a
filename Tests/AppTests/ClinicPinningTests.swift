@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// Review of the pinned clinic (branch review-clinic). Each test states the behaviour a tenant boundary
/// needs; each FAILS on i14-clinic as reviewed, and its failure is the reproduction of a hole.
struct PinnedClinicReviewTests {
    /// Hole 1: whoever connects first pins the tenant, with any Fullscript account (a staff account here),
    /// to any clinic no tenant has pinned yet: here the clinic of another practice on this deployment
    /// that has not connected yet. That practice is then refused, and its clinic's webhooks land in ours.
    @Test func aFirstConnectionCannotTakeAnotherPracticesUnpinnedClinic() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            try await TenancyTests.addLakeside(harness)
            // A front-desk user of `default` who also has (or once had) a Fullscript login at Lakeside's clinic.
            let squat = try await PinnedClinicTests.connect(harness, user: "sam", as: "staff-2")
            #expect(squat.status != 200, "default must not be pinned to clinic-2 by a staff account's first connection")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-", "lakeside|-|-"])

            // Lakeside's own practitioner, connecting to Lakeside's own clinic.
            let own = try await PinnedClinicTests.connect(harness, user: "dr-nakamura", tenant: TenancyTests.lakeside, as: "prac-4")
            #expect(own.status == 200, "Lakeside's practitioner is refused: 'belongs to another practice'")

            let event = PlanEvent.body("ev-lake", plan: PlanEvent.plan("tp-lake", patient: "pat-1", practitioner: "prac-4"), clinic: "clinic-2")
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await eventually { try await PinnedClinicReviewTests.tenant(of: "ev-lake", harness) != nil })
            #expect(try await PinnedClinicReviewTests.tenant(of: "ev-lake", harness) != Tenant.defaultID,
                    "Lakeside's clinic's plan event is routed to default")
        }
    }

    /// Hole 2: reconcile over every tenant pins each unpinned tenant from its oldest connection. A stale
    /// connection in `default` of Lakeside's clinic (made before pins) pins `default` to clinic-2, and
    /// Lakeside, reconciled next, is skipped as "pinned by another tenant": clinic-2's events go to default.
    @Test func reconcileDoesNotPinATenantToAnotherTenantsClinicFromAStaleConnection() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            try await TenancyTests.addLakeside(harness)
            // Connections made before this change (no pins): default's oldest is an account at clinic-2.
            try await harness.connect(session: try await harness.signIn("dr-both"), as: "prac-5")
            try await Self.unpinAll(harness)
            try await harness.connect(session: try await harness.signIn("dr-quinn"), as: "prac-1")
            try await Self.unpinAll(harness)
            try await harness.connect(session: try await harness.signIn("dr-nakamura", tenant: TenancyTests.lakeside), as: "prac-4")
            try await Self.unpinAll(harness)

            let lines = try? await PinnedClinicTests.reconcile(harness, tenant: nil).1
            let pins = try await PinnedClinicTests.pins(harness)
            #expect(pins == ["default|clinic-1|Sandbox Integrative Clinic", "lakeside|clinic-2|Lakeside Family Wellness"],
                    "reconcile left pins \(pins), saying \(lines ?? [])")
        }
    }

    /// Hole 3: an event of a clinic pinned later is stored as ignored, and reconcile cannot bring it back:
    /// its event id is already in the inbox (ON CONFLICT DO NOTHING), so it is "seen", never "new".
    @Test func anEventIgnoredBeforeThePinIsAppliedOnceTheClinicIsPinned() async throws {
        try await withHarness(try await ReconcileTests.missedActivations(1)) { harness in
            // Learn the event Fullscript has (its id and body), then start over as if its webhook came
            // before the practice's first connection pinned clinic-1.
            _ = try await ReconcileTests.reconcile(harness)
            let (id, body) = try await harness.application.database.read { connection in
                let row = try #require(try connection.queryFirst("SELECT event_id, body FROM webhook_events", []))
                return (try row.string("event_id"), try row.blob("body"))
            }
            try await harness.application.database.write { connection in
                _ = try connection.execute("DELETE FROM webhook_events")
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_id = NULL, fullscript_clinic_name = NULL")
            }
            #expect(try await harness.deliver(body).status == 200)
            #expect(try await eventually { try await Self.status(of: id, harness) == "ignored" })
            // The first connection pins clinic-1 (as the callback does); then the operator reconciles.
            try await harness.connect(session: try await harness.signIn("dr-lee"), as: "prac-2")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic"])
            let (summary, _) = try await ReconcileTests.reconcile(harness)

            #expect(summary.new == 1 || summary.applied == 1, "reconcile saw \(summary): the event stays ignored for good")
            #expect(try await Self.status(of: id, harness) == "processed")
        }
    }

    /// Hole 4: a connection of another clinic made before the pin stays `connected` after the tenant is
    /// pinned, and is what that user's clicks, refreshes and reconcile-less reads go through: drafts for
    /// this practice's patients would be written into another practice's clinic.
    @Test func aConnectionOfAnotherClinicMadeBeforeThePinIsNotUsedAfterIt() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            try await harness.connect(session: try await harness.signIn("dr-nakamura"), as: "prac-4")
            // Upgrade: connections predate pins; then default's pin becomes clinic-1 (its first connection after, or reconcile).
            try await Self.unpinAll(harness)
            try await harness.connect(session: try await harness.signIn("dr-quinn"), as: "prac-1")
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_id = 'clinic-1', fullscript_clinic_name = 'Sandbox Integrative Clinic'")
            }
            let users = try await harness.application.vault.connectedUsers(in: Tenant.defaultID).map(\.id)
            #expect(!users.contains("dr-nakamura"), "clinic-2's connection is still live in a tenant pinned to clinic-1: \(users)")
            // The service API's reads and pushes for this tenant (`serviceConnection`) go through the oldest: clinic-2's.
            let service = try await harness.application.vault.serviceConnection(in: Tenant.defaultID)
            #expect(service.user.id == "dr-quinn", "the service connection of a tenant pinned to clinic-1 is \(service.user.id)'s, of clinic-2")
        }
    }

    /// Hole 5 (upgrade): a single-practice deployment upgraded in place has connections but no pin until
    /// someone connects again or the operator runs reconcile; meanwhile its plan webhooks, which went to
    /// `default` before this change, are ignored, and (hole 3) reconcile cannot bring them back.
    @Test func anUpgradedSingleTenantKeepsItsWebhooksBeforeAnyNewConnection() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            try await harness.connect(session: try await harness.signIn("dr-quinn"), as: "prac-1")
            try await Self.unpinAll(harness)  // the database as the previous release left it: connected, not pinned
            let event = PlanEvent.body("ev-up", plan: PlanEvent.plan("tp-up", patient: "pat-1"), clinic: "clinic-1")
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await eventually { try await Self.status(of: "ev-up", harness).map { $0 != "pending" } ?? false })
            let routed = try await PinnedClinicTests.routed(harness)
            #expect(try await Self.tenant(of: "ev-up", harness) == Tenant.defaultID, "the practice's own plan event: \(routed)")
        }
    }

    /// Checked, no hole: the refusal page escapes the clinic names Fullscript gave (here the pinned one).
    @Test func theRefusalPageEscapesClinicNames() async throws {
        try await withHarness { harness in
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_name = '<img src=x onerror=alert(1)>' WHERE id = 'default'")
            }
            let refused = try await PinnedClinicTests.connect(harness, user: "bob", as: "prac-4")
            #expect(refused.status == 403)
            #expect(!refused.text.contains("<img src=x"))
            #expect(refused.text.contains("&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    /// Low: a clinic's name is Fullscript data chosen by whoever made the clinic (hole 1 lets anyone pin
    /// theirs); `tenants list` and `doctor` print it raw to the operator's terminal, control characters included.
    @Test func tenantsListDoesNotPrintControlCharactersOfAClinicName() async throws {
        try await withHarness { harness in
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_name = 'Evil' || char(27) || '[2J' || char(27) || ']0;pwned' || char(7) WHERE id = 'default'")
            }
            let config = harness.application.config
            let listed = try await TenantCommand(database: config.database, logger: ApplicationTests.quietLogger).list()
            #expect(!listed.unicodeScalars.contains { $0.value == 27 || $0.value == 7 }, "ESC/BEL reach the terminal: \(listed.debugDescription)")
        }
    }

    static func unpinAll(_ harness: ConnectedHarness) async throws {
        try await harness.application.database.write { connection in
            _ = try connection.execute("UPDATE tenants SET fullscript_clinic_id = NULL, fullscript_clinic_name = NULL")
        }
    }

    static func tenant(of event: String, _ harness: ConnectedHarness) async throws -> String? {
        try await harness.application.database.read { connection in
            try connection.queryFirst("SELECT coalesce(tenant_id, '-') AS t FROM webhook_events WHERE event_id = ? AND status != 'pending'",
                                      [.text(event)]).map { try $0.string("t") }
        }
    }

    static func status(of event: String, _ harness: ConnectedHarness) async throws -> String? {
        try await harness.application.database.read { connection in
            try connection.queryFirst("SELECT status FROM webhook_events WHERE event_id = ?", [.text(event)]).map { try $0.string("status") }
        }
    }
}

extension PinnedClinicReviewTests {
    /// Who may pin: a viewer is refused at connect (no pin); a patient-bound staff session is not, and pins.
    @Test func whoMayStartTheConnectionThatPins() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            func session(_ user: EHRUser) async throws -> String {
                let token = LaunchToken.mint(for: user, secret: Array(ApplicationTests.launchSecret.utf8), now: harness.clock.now(), lifetime: 120)
                let launched = try await harness.get("/launch?token=\(token)", user: nil)
                return try #require(launched.header("set-cookie")?.split(separator: ";").first.map(String.init))
            }
            let viewer = try await session(EHRUser(id: "pat-reviewer", roles: [.viewer]))
            let refused = try await harness.startConnect(returnTo: "/", user: nil, cookie: viewer)
            #expect(refused.status == 403)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-"])

            let staff = try await session(EHRUser(id: "sam-ortiz", patient: "p-1", roles: [.staff]))
            try await harness.connect(session: staff, as: "staff-2")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-"],
                    "a patient-bound front-desk session pinned the practice to another clinic with a Fullscript staff account")
        }
    }
}
