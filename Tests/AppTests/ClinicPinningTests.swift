@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Synchronization
import Testing

/// Who pins a tenant's clinic, and what a pin changes: only a practitioner's first connection or the
/// operator pins; reconcile never does; events that came before the pin are applied once it is made;
/// connections of another clinic are never used. (Started as an attacker review's reproductions: each
/// test failed before these rules.)
struct ClinicPinningTests {
    /// A staff account's first connection does not pin: else it could pin its practice to any clinic no tenant
    /// has pinned yet, here the clinic of another practice on this deployment that has not connected yet;
    /// that practice would then be refused, and its clinic's webhooks land in ours.
    @Test func aFirstConnectionCannotTakeAnotherPracticesUnpinnedClinic() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            try await TenancyTests.addLakeside(harness)
            // A front-desk user of `default` who also has (or once had) a Fullscript login at Lakeside's clinic.
            let squat = try await PinnedClinicTests.connect(harness, user: "sam", as: "staff-2")
            #expect(squat.status == 403, "default must not be pinned to clinic-2 by a staff account's first connection")
            #expect(squat.text.contains("Your practice is not linked to a Fullscript clinic yet"))
            #expect(squat.text.contains("A practitioner of your practice connects first"))
            #expect(squat.text.contains("fullscript-redirect tenants pin default CLINIC_ID"))
            #expect(try await PinnedClinicTests.connections(harness).isEmpty)
            #expect(try await PinnedClinicTests.auditRows(harness).last
                == "default|sam|fullscript.connect|refused_not_pinned|account's clinic clinic-2, Staff account; practice not pinned, pinning first-practitioner")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-", "lakeside|-|-"])

            // Lakeside's own practitioner, connecting to Lakeside's own clinic.
            let own = try await PinnedClinicTests.connect(harness, user: "dr-nakamura", tenant: TenancyTests.lakeside, as: "prac-4")
            #expect(own.status == 200, "Lakeside's practitioner is refused: 'belongs to another practice'")

            let event = PlanEvent.body("ev-lake", plan: PlanEvent.plan("tp-lake", patient: "pat-1", practitioner: "prac-4"), clinic: "clinic-2")
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await eventually { try await ClinicPinningTests.tenant(of: "ev-lake", harness) != nil })
            #expect(try await ClinicPinningTests.tenant(of: "ev-lake", harness) != Tenant.defaultID,
                    "Lakeside's clinic's plan event is routed to default")
        }
    }

    /// Reconcile never pins. Pinning from a tenant's oldest connection, as it once did, let a stale connection
    /// in `default` of Lakeside's clinic (made before pins) pin `default` to clinic-2, and Lakeside, reconciled
    /// next, be skipped as "pinned by another tenant": clinic-2's events went to default. The review expected
    /// reconcile to pin each tenant to its right clinic; no connection's age says which that is, so reconcile
    /// reports the clinics of each unpinned tenant's connections and the command, and the operator decides.
    @Test func reconcileNeverPinsAndReportsTheClinicsToChooseFrom() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            try await TenancyTests.addLakeside(harness)
            // Connections made before this change (no pins): default's oldest is an account at clinic-2.
            try await harness.connect(session: try await harness.signIn("dr-both"), as: "prac-5")
            try await Self.unpinAll(harness)
            try await harness.connect(session: try await harness.signIn("dr-quinn"), as: "prac-1")
            try await Self.unpinAll(harness)
            try await harness.connect(session: try await harness.signIn("dr-nakamura", tenant: TenancyTests.lakeside), as: "prac-4")
            try await Self.unpinAll(harness)
            // As the previous release left them: no clinic recorded, all connected (no pin set one aside).
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE fullscript_connections SET fullscript_clinic_id = NULL, status = 'connected'")
            }

            let lines = Mutex<[String]>([])
            await #expect(throws: ReconcileError.notPinned([Tenant.defaultID, TenancyTests.lakeside])) {
                _ = try await ReconcileCommand.run(config: harness.application.config, since: 86_400, logger: ApplicationTests.quietLogger) { line in
                    lines.withLock { $0.append(line) }
                }
            }
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-", "lakeside|-|-"])
            let expected: [String] = [
                "Tenant default is not pinned to a Fullscript clinic, so its events are not read; its connections belong to "
                    + "clinic-2 (Lakeside Family Wellness): dr-both; clinic-1 (Sandbox Integrative Clinic): dr-quinn. "
                    + "Pin the practice's own clinic: `fullscript-redirect tenants pin default CLINIC_ID`.",
                "Tenant lakeside is not pinned to a Fullscript clinic, so its events are not read; its connections belong to "
                    + "clinic-2 (Lakeside Family Wellness): dr-nakamura. Pin the practice's own clinic: "
                    + "`fullscript-redirect tenants pin lakeside CLINIC_ID`.",
            ]
            #expect(lines.withLock { $0 } == expected)
            #expect(await !harness.sandbox.recordedRequests().contains { $0.path.hasPrefix("/api/events") })
            #expect(!(try await PinnedClinicTests.auditRows(harness).contains { $0.contains("|reconcile|") }))
        }
    }

    /// An event of a clinic pinned later is stored as ignored (no tenant has the clinic; with one tenant it
    /// would go to it). The pin hands it to the tenant, pending, and it is applied once: reconcile afterwards
    /// finds it seen. (The review expected reconcile to bring it back; the pin itself does, without an operator.)
    @Test func anEventIgnoredBeforeThePinIsAppliedOnceTheClinicIsPinned() async throws {
        try await withHarness(try await ReconcileTests.missedActivations(1)) { harness in
            // Learn the event Fullscript has (its id and body), then start over as if its webhook came
            // before the practice's first connection pinned clinic-1.
            _ = try await ReconcileTests.reconcile(harness)
            let (id, body) = try await Self.onlyEvent(harness)
            try await harness.application.database.write { connection in
                _ = try connection.execute("DELETE FROM webhook_events")
                _ = try connection.execute("DELETE FROM treatment_plans")
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_id = NULL, fullscript_clinic_name = NULL")
            }
            try await TenancyTests.addLakeside(harness)
            #expect(try await harness.deliver(body).status == 200)
            #expect(try await eventually { try await Self.status(of: id, harness) == "ignored" })
            #expect(try await harness.storedPlans().isEmpty)
            // The first connection pins clinic-1.
            try await harness.connect(session: try await harness.signIn("dr-lee"), as: "prac-2")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic", "lakeside|-|-"])

            #expect(try await eventually { try await Self.status(of: id, harness) == "processed" })
            #expect(try await Self.tenant(of: id, harness) == Tenant.defaultID)
            #expect(try await harness.storedPlans().count == 1)
            let (summary, _) = try await ReconcileTests.reconcile(harness)
            #expect(summary == .init(seen: 1, new: 0, applied: 0, ignored: 0, failed: 0))
            #expect(try await harness.storedPlans().count == 1)
        }
    }

    /// An event stored as nobody's (here: no `clinic_id` while there are several tenants) and listed by
    /// reconcile through a tenant's own clinic was not seen: reconcile makes it that tenant's and applies it.
    @Test func reconcileTreatsAnIgnoredUnclaimedEventAsNotSeen() async throws {
        try await withHarness(try await ReconcileTests.missedActivations(1)) { harness in
            _ = try await ReconcileTests.reconcile(harness)
            let (id, body) = try await Self.onlyEvent(harness)
            let text = try #require(String(bytes: body, encoding: .utf8))
            #expect(text.contains(#""clinic_id":"clinic-1","#))
            try await harness.application.database.write { connection in
                _ = try connection.execute("DELETE FROM webhook_events")
                _ = try connection.execute("DELETE FROM treatment_plans")
            }
            try await TenancyTests.addLakeside(harness)
            #expect(try await harness.deliver(Array(text.replacingOccurrences(of: #""clinic_id":"clinic-1","#, with: "").utf8)).status == 200)
            #expect(try await eventually { try await Self.status(of: id, harness) == "ignored" })

            let (summary, _) = try await PinnedClinicTests.reconcile(harness, tenant: Tenant.defaultID)
            #expect(summary == .init(seen: 1, new: 1, applied: 1, ignored: 0, failed: 0))
            #expect(try await Self.status(of: id, harness) == "processed")
            #expect(try await Self.tenant(of: id, harness) == Tenant.defaultID)
            #expect(try await harness.storedPlans().count == 1)
        }
    }

    static func onlyEvent(_ harness: ConnectedHarness) async throws -> (String, [UInt8]) {
        try await harness.application.database.read { connection in
            let row = try #require(try connection.queryFirst("SELECT event_id, body FROM webhook_events", []))
            return (try row.string("event_id"), try row.blob("body"))
        }
    }

    /// A connection of another clinic made before the pin is marked for reconnection by the pin (audited), and
    /// never used: else that user's clicks, refreshes and the service reads would go through it, and drafts for
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
            #expect(try await PinnedClinicTests.auditRows(harness).contains(
                "default|dr-nakamura|fullscript.connection|reconnect_other_clinic|account's clinic clinic-2, practice's clinic clinic-1"))
            #expect(try await harness.application.vault.account(of: EHRUser(id: "dr-nakamura")) == nil)
        }
    }

    /// Upgrade: a single-practice deployment upgraded in place has connections but no pin until a practitioner
    /// connects again or the operator pins; meanwhile its plan webhooks go to its only tenant, as before.
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

    /// A clinic's name is Fullscript data chosen by whoever made the clinic: `tenants list` and `doctor`
    /// print it to the operator's terminal without its control characters.
    @Test func tenantsListDoesNotPrintControlCharactersOfAClinicName() async throws {
        try await withHarness { harness in
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE tenants SET fullscript_clinic_name = ? WHERE id = 'default'", ["Evil\u{1B}[2J\u{1B}]0;pwned\u{07}"])
            }
            let config = harness.application.config
            let listed = try await TenantCommand(database: config.database, logger: ApplicationTests.quietLogger).list()
            #expect(!listed.unicodeScalars.contains { $0.value == 27 || $0.value == 7 }, "ESC/BEL reach the terminal: \(listed.debugDescription)")
            #expect(listed.contains("Evil\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD} (clinic-1)"))
            let findings = await Doctor.examine(config, logger: ApplicationTests.quietLogger, reachabilityDeadline: .seconds(2))
            let clinic = try #require(findings.first { $0.what.hasPrefix("tenant default") })
            #expect(clinic.what == "tenant default (us): Fullscript clinic Evil\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD} (clinic-1)")
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

extension ClinicPinningTests {
    /// Who may make the first connection, the one that pins: a viewer cannot connect at all; a patient-bound
    /// session cannot pin, with a practitioner's account either; a staff account cannot, from any session.
    /// Then an EHR staff member (not patient-bound) connecting a practitioner's account pins. (The review
    /// expected the patient-bound staff session's connection to be stored without pinning; a connection
    /// that cannot be checked against a pin is refused instead, and nothing is stored.)
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
            let staffAccount = try await harness.connectResponse(session: staff, as: "staff-2")
            #expect(staffAccount.status == 403)
            #expect(staffAccount.text.contains("Your practice is not linked to a Fullscript clinic yet"))
            let boundPractitioner = try await session(EHRUser(id: "dr-lee", patient: "p-1", roles: [.practitioner]))
            #expect(try await harness.connectResponse(session: boundPractitioner, as: "prac-2").status == 403)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-"],
                    "a patient-bound front-desk session pinned the practice to another clinic with a Fullscript staff account")
            #expect(try await PinnedClinicTests.connections(harness).isEmpty)
            #expect(try await PinnedClinicTests.auditRows(harness).filter { $0.contains("refused_not_pinned") } == [
                "default|sam-ortiz|fullscript.connect|refused_not_pinned|account's clinic clinic-2, Staff account; practice not pinned, pinning first-practitioner",
                "default|dr-lee|fullscript.connect|refused_not_pinned|account's clinic clinic-1, Practitioner account; practice not pinned, pinning first-practitioner",
            ])

            let frontDesk = try await session(EHRUser(id: "sam-ortiz", roles: [.staff]))
            try await harness.connect(session: frontDesk, as: "prac-1")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic"])
            // Once pinned, a staff account of the clinic connects as before.
            try await harness.connect(session: staff, as: "staff-1")
            #expect(try await PinnedClinicTests.connections(harness) == ["default:sam-ortiz"])
        }
    }
}

extension ClinicPinningTests {
    static func command(_ harness: ConnectedHarness) -> TenantCommand {
        TenantCommand(database: harness.application.config.database, logger: ApplicationTests.quietLogger)
    }

    /// The operator pins explicitly (`tenants create --clinic`, `tenants pin`) and unpins, each audited; a
    /// clinic stays one tenant's, and a pinned tenant is unpinned before it is pinned elsewhere.
    @Test func theOperatorPinsAndUnpins() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            let tenants = Self.command(harness)
            let created = try await tenants.create(id: TenancyTests.lakeside, region: "us", clinicID: "clinic-2")
            #expect(created.contains("It is pinned to Fullscript clinic clinic-2: only accounts of that clinic connect."))
            await #expect(throws: TenantError.clinicPinnedByAnotherTenant("clinic-2", tenant: TenancyTests.lakeside)) {
                _ = try await tenants.pin(Tenant.defaultID, clinicID: "clinic-2")
            }
            await #expect(throws: TenantError.invalidClinicID("clinic\u{1B}[2J")) { _ = try await tenants.pin(Tenant.defaultID, clinicID: "clinic\u{1B}[2J") }
            #expect(TenantError.invalidClinicID("clinic\u{1B}[2J").description.unicodeScalars.allSatisfy { $0.value != 27 })
            let pinned = try await tenants.pin(Tenant.defaultID, clinicID: "clinic-1")
            #expect(pinned.hasPrefix("Pinned tenant 'default' to Fullscript clinic clinic-1."))
            #expect(try await tenants.pin(Tenant.defaultID, clinicID: "clinic-1") == "Tenant 'default' already is pinned to Fullscript clinic clinic-1; nothing changed.\n")
            await #expect(throws: TenantError.pinnedToAnotherClinic(Tenant.defaultID, clinic: "clinic-1")) {
                _ = try await tenants.pin(Tenant.defaultID, clinicID: "clinic-9")
            }
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|-", "lakeside|clinic-2|-"])

            // The practice's practitioner connects; the pin takes the clinic's name from Fullscript.
            try await harness.connect(session: try await harness.signIn("dr-nakamura", tenant: TenancyTests.lakeside), as: "prac-4")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|-", "lakeside|clinic-2|Lakeside Family Wellness"])

            let unpinned = try await tenants.unpin(Tenant.defaultID)
            #expect(unpinned.hasPrefix("Unpinned tenant 'default' from Fullscript clinic clinic-1. Until it is pinned again"))
            #expect(try await tenants.unpin(Tenant.defaultID) == "Tenant 'default' is not pinned to a Fullscript clinic; nothing changed.\n")
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-", "lakeside|clinic-2|Lakeside Family Wellness"])
            #expect(try await PinnedClinicTests.auditRows(harness).filter { $0.contains("|operator|") } == [
                "lakeside|operator|tenant.create|created|us",
                "lakeside|operator|tenant.pin_clinic|pinned|-",
                "default|operator|tenant.pin_clinic|pinned|-",
                "default|operator|tenant.unpin_clinic|unpinned|-",
            ])
        }
    }

    /// `tenants.pinning = operator`: no connection pins, a practitioner's first one included; the page names
    /// the command, and once the operator has pinned, the same practitioner connects.
    @Test func withOperatorPinningOnlyTheOperatorPins() async throws {
        try await withHarness(environment: ["TENANTS_PINNING": "operator"], pinnedDefaultClinic: false) { harness in
            let refused = try await PinnedClinicTests.connect(harness, user: "alice", as: "prac-1")
            #expect(refused.status == 403)
            #expect(refused.text.contains("Your administrator pins it first with"))
            #expect(refused.text.contains("fullscript-redirect tenants pin default CLINIC_ID"))
            #expect(try await PinnedClinicTests.connections(harness).isEmpty)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|-|-"])

            _ = try await Self.command(harness).pin(Tenant.defaultID, clinicID: "clinic-1")
            #expect(try await PinnedClinicTests.connect(harness, user: "alice", as: "prac-1").status == 200)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic"])
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinning-\(UUID().uuidString)")
        let error = await #expect(throws: ConfigError.self) {
            try await AppConfig.load(directory: repositoryRoot + "/config",
                                     environment: ApplicationTests.environment(directory).merging(["TENANTS_PINNING": "anyone"]) { _, new in new })
        }
        #expect(error?.key == "tenants.pinning")
    }

    /// An operator's pin, like a first connection's, hands the clinic's events held as ignored to the tenant.
    @Test func anOperatorsPinHandsTheClinicsIgnoredEventsToTheTenant() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            try await TenancyTests.addLakeside(harness)
            let event = PlanEvent.body("ev-early", plan: PlanEvent.plan("tp-early", patient: nil), clinic: "clinic-1")
            #expect(try await harness.deliver(event).status == 200)
            #expect(try await eventually { try await Self.status(of: "ev-early", harness) == "ignored" })

            _ = try await Self.command(harness).pin(Tenant.defaultID, clinicID: "clinic-1")
            #expect(try await PinnedClinicTests.routed(harness) == ["ev-early→default pending"])
            // The server's processor takes it on its next pass (a pin by the command is another process).
            harness.application.webhooks.signal()
            #expect(try await eventually { try await PinnedClinicTests.routed(harness) == ["ev-early→default processed"] })
            #expect(try await harness.storedPlans().map { String($0.prefix { $0 != "|" }) } == ["tp-early"])
        }
    }

    /// A connection made before connections recorded their clinic is asked on its first use: one of another
    /// clinic than the pin is marked for reconnection (audited) and its user sees the connect page naming the
    /// practice's clinic; one of the pinned clinic is recorded and used, and not asked again.
    @Test func aConnectionWithoutARecordedClinicIsCheckedOnItsFirstUse() async throws {
        try await withHarness(try await ConnectedHarness.sessions(pinnedDefaultClinic: false)) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let stray = try await harness.signIn("dr-nakamura")
            try await harness.connect(session: stray, as: "prac-4")
            try await Self.unpinAll(harness)
            let own = try await harness.signIn("dr-quinn")
            try await harness.connect(session: own, as: "prac-1")
            // As the previous release left them: no clinic recorded, both connected (no pin set one aside).
            try await harness.application.database.write { connection in
                _ = try connection.execute("UPDATE fullscript_connections SET fullscript_clinic_id = NULL, status = 'connected'")
            }
            let clinicRequests = { await harness.sandbox.recordedRequests().filter { $0.path == "/api/clinic" }.count }
            let before = await clinicRequests()

            let refused = try await harness.get("/recommend/p-1001", user: nil, cookie: stray)
            #expect(refused.status == 303)
            #expect(refused.header("location")?.hasPrefix("/oauth/fullscript/connect?") == true)
            #expect(try await PinnedClinicTests.auditRows(harness).last
                == "default|dr-nakamura|fullscript.connection|reconnect_other_clinic|account's clinic clinic-2, practice's clinic clinic-1")
            let page = try await harness.get("/oauth/fullscript/connect?return_to=%2Frecommend%2Fp-1001", user: nil, cookie: stray)
            #expect(page.text.contains("Your practice's Fullscript clinic is <strong>Sandbox Integrative Clinic (clinic-1)</strong>"))
            #expect(!page.text.contains("Now connected as"))

            let click = try await harness.get("/recommend/p-1001", user: nil, cookie: own)
            #expect(click.header("location")?.hasPrefix("/oauth/") == false, "\(click.status) \(click.header("location") ?? "-")")
            _ = try await harness.get("/recommend/p-1001", user: nil, cookie: own)
            #expect(await clinicRequests() == before + 2, "one check per unrecorded connection, none once recorded")
            #expect(try await harness.application.database.read { connection in
                try connection.query("SELECT ehr_user_id, status, fullscript_clinic_id FROM fullscript_connections ORDER BY ehr_user_id") {
                    "\(try $0.string("ehr_user_id")) \(try $0.string("status")) \(try $0.string("fullscript_clinic_id"))"
                }
            } == ["dr-nakamura disconnected clinic-2", "dr-quinn connected clinic-1"])
        }
    }
}
