/// A lab panel recommended on a plan (a US offering), with the tests it orders.
struct LabRecommendation: Sendable, Equatable {
    struct Test: Sendable, Equatable {
        var id: String
        var name: String
    }

    var id: String
    var labName: String
    var tests: [Test]

    /// Plan payloads carry `lab_recommendations[].tests[]` (fullscript-api.md §12); the other fields are our guess [inferred].
    var json: JSON {
        .object([
            ("id", .string(id)), ("lab", .object([("name", .string(labName))])),
            ("tests", .array(tests.map { .object([("id", .string($0.id)), ("name", .string($0.name))]) })),
        ])
    }
}
