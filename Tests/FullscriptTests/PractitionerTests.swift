import Foundation
import Testing
@testable import Fullscript

struct PractitionerTests {
    @Test func readsIDsAsStringsOrNumbers() throws {
        let practitioner = try JSONDecoder().decode(Practitioner.self, from: Data(#"""
            {"id": 7, "first_name": "Ada", "last_name": "Lee", "email": null, "practitioner_type_id": "nd",
             "invite_accepted": true, "metadata": {"id": null}}
            """#.utf8))
        #expect(practitioner == Practitioner(id: "7", firstName: "Ada", lastName: "Lee", practitionerTypeID: "nd", inviteAccepted: true))
    }
}
