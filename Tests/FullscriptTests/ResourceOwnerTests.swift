import Foundation
import Testing
@testable import Fullscript

struct ResourceOwnerTests {
    @Test(arguments: [("Practitioner", ResourceOwner.Kind.practitioner), ("practitioner", .practitioner),
                      ("PRACTITIONER", .practitioner), ("Staff", .staff), ("staff", .staff)])
    func decodesTheTypeInAnyCase(_ text: String, _ kind: ResourceOwner.Kind) throws {
        let owner = try JSONDecoder().decode(ResourceOwner.self, from: Data(#"{"id": "u-1", "type": "\#(text)"}"#.utf8))
        #expect(owner == ResourceOwner(id: "u-1", type: kind))
    }

    @Test func rejectsUnknownTypesAndEncodesTheDocumentedSpelling() throws {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ResourceOwner.self, from: Data(#"{"id": "u-1", "type": "Patient"}"#.utf8))
        }
        let encoded = try JSONEncoder().encode(ResourceOwner(id: "u-1", type: .staff))
        #expect(Fixture.json(String(decoding: encoded, as: UTF8.self)) == Fixture.json(#"{"id": "u-1", "type": "Staff"}"#))
    }
}
