import Fullscript

/// One recommendation's dosing as a FHIR R4 `Dosage`: always its words (`text`, worded as the chart
/// words them), and the structure `DosageParser` could read from them, part by part.
struct DosageInstructions {
    let text: String?
    let dose: DosageParser.Dose?
    let frequency: DosageParser.Frequency?
    let when: [String]?
    let duration: DosageParser.Duration?
    /// `take_with` and `additional_info`, each as written.
    let additional: [String]

    /// `recommendation` is one of a stored plan's `recommendations[]`: `dosage` is Fullscript's object
    /// (or, from an older payload, plain text) and `take_with` sits beside it.
    init(_ recommendation: [String: JSONValue]) {
        var fields: [String: JSONValue] = [:]
        var plainWords: String?
        switch recommendation["dosage"] {
        case .object(let object)?: fields = object
        case let words?: plainWords = MedicationStatementBundle.text(words)
        case nil: break
        }
        let field = { (name: String) in MedicationStatementBundle.text(fields[name]) }
        let amount = field("amount"), format = field("format"), frequency = field("frequency"), duration = field("duration")
        var times: [String] = []
        if case .array(let list)? = fields["time_of_day"] { times = list.compactMap(MedicationStatementBundle.text) }
        let takeWith = MedicationStatementBundle.text(recommendation["take_with"]).map { "Take with \($0)" }
        additional = [takeWith, field("additional_info")].compactMap { $0 }

        // The format names the unit of a bare number ("1" capsule), not of an amount with its own ("1/2 teaspoon").
        let bareAmount = amount.map { !$0.contains(where: \.isLetter) } ?? true
        let amountWords = [amount, bareAmount ? format : nil].compactMap { $0 }.joined(separator: " ")
        let parts: [String?] = [plainWords, amountWords.isEmpty ? nil : amountWords, frequency,
                                times.isEmpty ? nil : times.joined(separator: ", "), duration]
        let words = (parts.compactMap { $0 } + additional).joined(separator: ", ")
        text = words.isEmpty ? nil : words

        dose = amount.flatMap { DosageParser.dose(amount: $0, format: format) }
        self.frequency = frequency.flatMap(DosageParser.frequency)
        when = times.isEmpty ? nil : DosageParser.when(times)
        self.duration = duration.flatMap(DosageParser.duration)
    }

    /// Nil when Fullscript gave no dosing at all: a statement then has no `dosage` rather than invented words.
    var fhir: JSONValue? {
        guard let text else { return nil }
        var dosage: [String: JSONValue] = ["text": .string(text)]
        if !additional.isEmpty { dosage["additionalInstruction"] = .array(additional.map { .object(["text": .string($0)]) }) }
        var repeating: [String: JSONValue] = [:]
        if let frequency {
            if frequency.asNeeded {
                dosage["asNeededBoolean"] = .bool(true)
            } else {
                repeating["frequency"] = .number(Double(frequency.count))
                repeating["period"] = .number(frequency.period)
                repeating["periodUnit"] = .string(frequency.periodUnit)
            }
        }
        if let when { repeating["when"] = .array(when.map(JSONValue.string)) }
        if let duration {
            repeating["boundsDuration"] = .object([
                "value": .number(Double(duration.value)), "unit": .string(duration.unitName),
                "system": .string(MedicationStatementBundle.ucum), "code": .string(duration.unit),
            ])
        }
        if !repeating.isEmpty { dosage["timing"] = .object(["repeat": .object(repeating)]) }
        if let dose {
            let quantity = { (value: Double) -> JSONValue in
                var quantity: [String: JSONValue] = ["value": .number(value), "unit": .string(dose.unit)]
                if let code = DosageParser.ucumCode(of: dose.unit) {
                    quantity["system"] = .string(MedicationStatementBundle.ucum)
                    quantity["code"] = .string(code)
                }
                return .object(quantity)
            }
            let rate = dose.high.map { JSONValue.object(["doseRange": .object(["low": quantity(dose.low), "high": quantity($0)])]) }
                ?? .object(["doseQuantity": quantity(dose.low)])
            dosage["doseAndRate"] = .array([rate])
        }
        return .object(dosage)
    }
}
