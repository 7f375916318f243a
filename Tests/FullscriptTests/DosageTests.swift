import Foundation
import Testing
@testable import Fullscript

struct DosageTests {
    @Test func everyFieldIsOptional() throws {
        #expect(try JSONDecoder().decode(Dosage.self, from: Data("{}".utf8)) == Dosage())
        #expect(try JSONDecoder().decode(Dosage.self, from: Data(#"{"time_of_day": null, "amount": "2"}"#.utf8)) == Dosage(amount: "2"))
    }
}
