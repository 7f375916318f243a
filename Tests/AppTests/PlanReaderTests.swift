@testable import App
import Foundation
import Fullscript
import ServerTesting
import Store
import Testing

/// What a chart reads: plans, orders and lab orders share one numbering (`ChangeSequence`), and its
/// stream moves its cursor to the newest number it read, so a read must see one committed state of all
/// three. Read apart, a plan committed after the plans were read but before a newer lab order was would
/// fall below the cursor and never reach the chart.
struct PlanReaderTests {
    @Test func aReadSeesEveryChangeUpToTheNewestItReturns() async throws {
        try await withHarness(try await ConnectedHarness()) { harness in
            try await harness.add(PatientRecord(ehrPatientID: "p-a", email: "p-a@example.com", createdAt: "", updatedAt: ""))
            try await harness.application.patients.recordMapping(ehrPatientID: "p-a", fullscriptPatientID: "fs-a", in: Tenant.defaultID, at: Date())
            let (plans, orders) = (harness.application.plans, harness.application.orders)
            let rounds = 150
            let writes = Task {
                for round in 0..<rounds {
                    try await plans.merge(PlanRoutesTests.plan("tp-\(round)", of: "fs-a", created: TimeInterval(round)), in: Tenant.defaultID, source: .webhook)
                    try await orders.merge(LabOrder(id: "lab-\(round)", state: "shipped", patientID: "fs-a", updatedAt: PlanRoutesTests.start),
                                           in: Tenant.defaultID, source: .webhook)
                }
            }
            var gaps: [String] = []
            var complete = false
            while !complete {
                let list = try await harness.get("/ehr/api/patients/p-a/treatment-plans").json
                let numbers = ((list["plans"] as? [[String: Any]] ?? []) + (list["lab_orders"] as? [[String: Any]] ?? []))
                    .compactMap { $0["change_seq"] as? Int }.sorted()
                if let newest = numbers.last, numbers.count < newest {
                    gaps.append("up to \(newest) without \(Set(1...newest).subtracting(numbers).sorted())")
                }
                complete = numbers.count == 2 * rounds
                try Task.checkCancellation()
            }
            try await writes.value
            #expect(gaps.isEmpty, "reads missing a change below their newest: \(gaps.prefix(3).joined(separator: "; "))")
        }
    }
}
