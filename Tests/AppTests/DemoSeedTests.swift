@testable import App
@testable import FullscriptSandbox
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
}
