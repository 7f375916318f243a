/// The dosing a practitioner types for one product in Fullscript's plan builder (fullscript-api.md §5:
/// free text for `amount`, `frequency`, `duration`, `format`, `additional_info`; `time_of_day[]`).
/// On the plan page's form, `dosage.<variant id>.<field>`; `time_of_day` comma-separated. A field not
/// sent keeps the seeded dosing, so tests can vary one thing at a time.
struct WrittenDosage: Sendable, Equatable {
    static let fields = ["amount", "frequency", "duration", "format", "additional_info", "time_of_day"]

    var values: [String: String]

    /// What the form wrote for `variantID`; nil when it wrote nothing for it.
    init?(form: [String: String], variantID: String) {
        let prefix = "dosage.\(variantID)."
        values = Dictionary(uniqueKeysWithValues: Self.fields.compactMap { field in form[prefix + field].map { (field, $0) } })
        if values.isEmpty { return nil }
    }

    func applied(to recommendation: Recommendation) -> Recommendation {
        var written = recommendation
        if let amount = values["amount"] { written.amount = amount }
        if let frequency = values["frequency"] { written.frequency = frequency }
        if let duration = values["duration"] { written.duration = duration }
        if let format = values["format"] { written.format = format }
        if let additionalInfo = values["additional_info"] { written.additionalInfo = additionalInfo }
        if let times = values["time_of_day"] {
            written.timeOfDay = times.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        }
        return written
    }
}
