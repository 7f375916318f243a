@testable import App
@testable import FullscriptSandbox
import ServerTesting
import Store
import Testing

/// The demo: the EHR's people and the simulator's clinic, side by side.
struct DemoSeedTests {
    /// Seen: the plan page offered two Jordan Riveras, the simulator's seeded one and the one the
    /// first click created for the EHR's Jordan.
    @Test func theSimulatorSeedsNoPatientOfTheDemoEHRsNames() {
        let ehrNames = Set(DemoSeed.patients.map { "\($0.firstName ?? "") \($0.lastName ?? "")".lowercased() })
        let clashes = SandboxSeed.patients.filter { ehrNames.contains("\($0.firstName) \($0.lastName)".lowercased()) }
        #expect(clashes.isEmpty, "the simulator already has \(clashes.map(\.id))")
    }

    /// A staff account never makes the first connection, so the demo pins its practice to the simulator's
    /// clinic as an operator would: Sam Ortiz, front-desk staff, can be the first to try it. A pin already
    /// there is kept.
    @Test func theDemoPinsItsPracticeSoStaffCanConnectFirst() async throws {
        try await withHarness(pinnedDefaultClinic: false) { harness in
            _ = try await harness.application.seedDemoData(clinicID: SandboxSeed.clinicID)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|-"])
            #expect(try await PinnedClinicTests.connect(harness, user: "sam-ortiz", as: "staff-1").status == 200)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-1|Sandbox Integrative Clinic"])
        }
        try await withHarness(pinnedDefaultClinic: false) { harness in
            _ = try await ClinicPinningTests.command(harness).pin(Tenant.defaultID, clinicID: SandboxSeed.lakesideClinicID)
            _ = try await harness.application.seedDemoData(clinicID: SandboxSeed.clinicID)
            #expect(try await PinnedClinicTests.pins(harness) == ["default|clinic-2|-"])
        }
    }
}
