import Foundation
import Testing
@testable import Fullscript

struct PatientTests {
    @Test func readsTheWebhookFieldListAndRoundTrips() throws {
        let patient = try JSONDecoder().decode(Patient.self, from: Data(#"""
            {"id": "pa-1", "first_name": "Zoë", "last_name": "Ng", "email": "z@example.com", "date_of_birth": null,
             "gender": "x", "discount": 0, "total_discount": 10, "mobile_number": "+12223334444",
             "text_message_notification": false, "is_dependent": false, "archived": false, "metadata": {"id": "ehr-1"}}
            """#.utf8))
        #expect(patient == Patient(id: "pa-1", firstName: "Zoë", lastName: "Ng", email: "z@example.com", gender: "x",
                                   mobileNumber: "+12223334444", isDependent: false, metadataID: "ehr-1"))
        #expect(try JSONDecoder().decode(Patient.self, from: JSONEncoder().encode(patient)) == patient)
    }

    @Test func onlyTheIDIsRequired() throws {
        #expect(try JSONDecoder().decode(Patient.self, from: Data(#"{"id": "pa-2"}"#.utf8)) == Patient(id: "pa-2"))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Patient.self, from: Data(#"{"email": "a@b.c"}"#.utf8)) }
    }
}
