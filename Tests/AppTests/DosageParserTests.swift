@testable import App
import Foundation
import Fullscript
import Testing

/// Fullscript's free-text dosage fields read into FHIR structure: what is read, and what is left as words.
struct DosageParserTests {
    typealias Frequency = DosageParser.Frequency

    @Test(arguments: [
        ("once a day", Frequency(count: 1, period: 1, periodUnit: "d", asNeeded: false)),
        ("Once daily", Frequency(count: 1, period: 1, periodUnit: "d", asNeeded: false)),
        ("daily", Frequency(count: 1, period: 1, periodUnit: "d", asNeeded: false)),
        ("every day", Frequency(count: 1, period: 1, periodUnit: "d", asNeeded: false)),
        ("twice a day", Frequency(count: 2, period: 1, periodUnit: "d", asNeeded: false)),
        ("Twice daily.", Frequency(count: 2, period: 1, periodUnit: "d", asNeeded: false)),
        ("2x/day", Frequency(count: 2, period: 1, periodUnit: "d", asNeeded: false)),
        ("3 times per day", Frequency(count: 3, period: 1, periodUnit: "d", asNeeded: false)),
        ("three times a day", Frequency(count: 3, period: 1, periodUnit: "d", asNeeded: false)),
        ("BID", Frequency(count: 2, period: 1, periodUnit: "d", asNeeded: false)),
        ("every other day", Frequency(count: 1, period: 2, periodUnit: "d", asNeeded: false)),
        ("every 8 hours", Frequency(count: 1, period: 8, periodUnit: "h", asNeeded: false)),
        ("once a week", Frequency(count: 1, period: 1, periodUnit: "wk", asNeeded: false)),
        ("weekly", Frequency(count: 1, period: 1, periodUnit: "wk", asNeeded: false)),
        ("2 times per month", Frequency(count: 2, period: 1, periodUnit: "mo", asNeeded: false)),
        ("as needed", Frequency.asNeeded),
    ])
    func frequenciesRead(_ text: String, _ expected: Frequency) {
        #expect(DosageParser.frequency(text) == expected)
    }

    @Test(arguments: ["", "sometimes", "once a day at bedtime", "twice", "every 8 hour", "every 1 days", "0 times a day",
                      "2-3 times a day", "with meals", "once a fortnight", "every"])
    func frequenciesLeftAsWords(_ text: String) {
        #expect(DosageParser.frequency(text) == nil)
    }

    @Test func dosesReadWithTheirUnitOrTheFormat() {
        #expect(DosageParser.dose(amount: "1 capsule", format: "capsule") == .init(low: 1, high: nil, unit: "capsule"))
        #expect(DosageParser.dose(amount: "2 softgels", format: nil) == .init(low: 2, high: nil, unit: "softgels"))
        #expect(DosageParser.dose(amount: "1", format: "capsule") == .init(low: 1, high: nil, unit: "capsule"))
        #expect(DosageParser.dose(amount: "0.5 ml", format: "liquid") == .init(low: 0.5, high: nil, unit: "ml"))
        #expect(DosageParser.dose(amount: "1/2 teaspoon", format: nil) == .init(low: 0.5, high: nil, unit: "teaspoon"))
        #expect(DosageParser.dose(amount: "1-2 capsules", format: nil) == .init(low: 1, high: 2, unit: "capsules"))
        #expect(DosageParser.dose(amount: "1 to 2 capsule(s)", format: nil) == .init(low: 1, high: 2, unit: "capsule(s)"))
        #expect(DosageParser.ucumCode(of: "mcg") == "ug" && DosageParser.ucumCode(of: "mL") == "mL" && DosageParser.ucumCode(of: "capsule") == nil)
    }

    @Test(arguments: [("1", nil), ("a capsule", "capsule"), ("1 capsule with water", nil), ("2-1 capsules", nil), ("1/3 scoop", nil),
                      ("0 capsules", nil), ("1", "1 scoop"), ("one capsule", nil), ("1e3 mg", nil), ("", "capsule")] as [(String, String?)])
    func dosesLeftAsWords(_ amount: String, _ format: String?) {
        #expect(DosageParser.dose(amount: amount, format: format) == nil)
    }

    @Test func durationsReadAndTheirEnd() throws {
        #expect(DosageParser.duration("30 days") == .init(value: 30, unit: "d"))
        #expect(DosageParser.duration("for 2 weeks") == .init(value: 2, unit: "wk"))
        #expect(DosageParser.duration("1 month") == .init(value: 1, unit: "mo"))
        #expect(DosageParser.duration("one year") == .init(value: 1, unit: "a"))
        for words in ["ongoing", "until finished", "30", "1 days", "2 month", "a month", "0 days", "30 days then stop"] {
            #expect(DosageParser.duration(words) == nil, "\(words)")
        }
        let start = try Date.ISO8601FormatStyle().parse("2026-01-31T10:00:00Z")
        let end = try #require(DosageParser.Duration(value: 1, unit: "mo").end(from: start))
        #expect(Date.ISO8601FormatStyle().format(end) == "2026-02-28T10:00:00Z", "a calendar month")
    }

    @Test func timesOfDayAreEventTimingsOrNothing() {
        #expect(DosageParser.when(["morning", "Evening"]) == ["MORN", "EVE"])
        #expect(DosageParser.when(["bedtime", "with dinner", "before breakfast"]) == ["HS", "CV", "ACM"])
        #expect(DosageParser.when(["morning", "in the morning"]) == ["MORN"])
        #expect(DosageParser.when(["morning", "after my run"]) == nil, "never a shorter list than was written")
        #expect(DosageParser.when([]) == nil)
    }

    @Test func instructionsKeepTheWordsAndAddWhatWasRead() throws {
        let recommendation: [String: JSONValue] = [
            "take_with": .string("food"),
            "dosage": .object(["amount": .string("1"), "format": .string("scoop"), "frequency": .string("every other day"),
                               "duration": .string("ongoing"), "time_of_day": .array([.string("morning"), .string("after my run")])]),
        ]
        let dosage = try #require(DosageInstructions(recommendation).fhir)
        guard case .object(let fields) = dosage, case .object(let timing)? = fields["timing"], case .object(let repeating)? = timing["repeat"] else {
            Issue.record("no timing: \(dosage)")
            return
        }
        #expect(fields["text"] == .string("1 scoop, every other day, morning, after my run, ongoing, Take with food"))
        #expect(repeating == ["frequency": .number(1), "period": .number(2), "periodUnit": .string("d")], "no when, no bounds")
        #expect(DosageInstructions(["variant_id": .string("v-1")]).fhir == nil, "no dosing: no Dosage")
        #expect(DosageInstructions(["dosage": .string("Two at night")]).fhir == .object(["text": .string("Two at night")]))
    }
}
