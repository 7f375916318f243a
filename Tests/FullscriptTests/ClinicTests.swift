import Foundation
import Testing
@testable import Fullscript

struct ClinicTests {
    @Test func readsDocumentedFieldsAndIgnoresOthers() throws {
        let clinic = try JSONDecoder().decode(Clinic.self, from: Data(#"""
            {"id": "c-1", "name": "Maple Clinic", "patient_count": 12, "practitioner_count": "many", "discount": 10,
             "dispensary_url": "https://us-snd.fullscript.io/u/maple", "integration_id": 77, "margin_type": "x"}
            """#.utf8))
        #expect(clinic == Clinic(id: "c-1", name: "Maple Clinic", patientCount: 12, practitionerCount: nil,
                                 dispensaryURL: "https://us-snd.fullscript.io/u/maple", integrationID: "77"))
    }
}
