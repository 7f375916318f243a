@testable import App
import Foundation
import FullscriptSandbox
import Server
import ServerTesting
import Store
import Testing

/// An upgraded `default` keeps its clinic until the operator pins it: another practice's connection
/// never takes a clinic this deployment's connections already belong to. (From an attacker read of
/// issue 14's last fixes; it failed when written.)
struct UpgradedDefaultPinTests {
    /// A database upgraded in place leaves `default` unpinned, its connections of its clinic recorded only
    /// on first use, and nothing pins it then. Another practice's insider who holds an account of that
    /// clinic (a practitioner working in both practices) connects first in their own tenant: that pins
    /// the clinic to them, and the pin's settling marks every `default` connection of it for reconnection.
    /// `default`'s users then cannot click, cannot reconnect (the clinic is another tenant's), and its
    /// clinic's events go to the other practice.
    @Test func anotherPracticesInsiderCannotTakeTheClinicOfAnUpgradedDefault() async throws {
        try await withHarness(try await ConnectedHarness.sessions()) { harness in
            try await harness.add(RecommendRoutesTests.jordan)
            let session = try await harness.signIn("dr-quinn")
            try await harness.connect(session: session, as: "prac-1")
            // As the upgrade leaves it: `default` unpinned, its connection's clinic not recorded.
            _ = try await ClinicPinningTests.command(harness).unpin(Tenant.defaultID)
            try await PinAndSyncEdgeTests.forgetRecordedClinic(of: "dr-quinn", harness)
            let firstClick = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(firstClick.header("location")?.hasPrefix("/oauth/fullscript/connect") != true, "\(firstClick.status)")

            try await TenancyTests.addLakeside(harness)
            let insider = try await harness.signIn("dr-lee", tenant: TenancyTests.lakeside)
            _ = try await harness.connectResponse(session: insider, as: "prac-2")

            let pins = try await TenantStore(database: harness.application.database).list().map { ($0.id, $0.fullscriptClinicID ?? "-") }
            #expect(!pins.contains { $0 == (TenancyTests.lakeside, ConnectedHarness.clinicID) }, "lakeside took default's clinic: \(pins)")
            let later = try await harness.get("/recommend/p-1001", user: nil, cookie: session)
            #expect(later.header("location")?.hasPrefix("/oauth/fullscript/connect") != true,
                    "default's practitioner was sent to reconnect: \(later.status) \(later.header("location") ?? "-")")
        }
    }
}
