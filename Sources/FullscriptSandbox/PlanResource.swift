/// Reading a practitioner attaches to a plan for the patient (an article, a handout).
struct PlanResource: Sendable, Equatable {
    var id: String
    var title: String
    var url: String

    /// Plan payloads carry `resources[]` (fullscript-api.md §12); the fields are our guess [inferred].
    var json: JSON {
        .object([("id", .string(id)), ("title", .string(title)), ("url", .string(url))])
    }
}
