import Foundation

/// Reads Fullscript's free-text dosage fields (fullscript-api.md §5: `amount`, `frequency`, `duration`,
/// `format`, `time_of_day[]`) into the few structures FHIR's `Dosage` can carry. Practitioners type
/// these as they like, so each reader accepts a small, explicit grammar and answers nil for anything
/// else: a statement then keeps the words (`Dosage.text`) and no structure, never a guessed one.
enum DosageParser {
    /// A dose: one value ("1 capsule") or a range ("1-2 capsules"), in the unit the practitioner wrote.
    struct Dose: Equatable {
        let low: Double
        /// Nil for a single value.
        let high: Double?
        let unit: String
    }

    /// `count` times every `period` `periodUnit` (FHIR `Timing.repeat`); or "as needed", with no timing.
    struct Frequency: Equatable {
        let count: Int
        let period: Double
        /// A UCUM unit of time as `Timing.repeat.periodUnit` takes it: h, d, wk, mo.
        let periodUnit: String
        let asNeeded: Bool

        static let asNeeded = Frequency(count: 0, period: 0, periodUnit: "", asNeeded: true)
    }

    /// How long to take it: `value` `unit` with `unit` a UCUM code of time (d, wk, mo, a).
    struct Duration: Equatable {
        let value: Int
        let unit: String

        /// The unit's name, as a FHIR `Duration.unit` reads.
        var unitName: String {
            let names = ["d": "day", "wk": "week", "mo": "month", "a": "year"]
            return (names[unit] ?? unit) + (value == 1 ? "" : "s")
        }

        /// `start` plus this duration, by the calendar in UTC (a month is a calendar month).
        func end(from start: Date) -> Date? {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
            let component: Calendar.Component = switch unit {
            case "d": .day
            case "wk": .weekOfYear
            case "mo": .month
            default: .year
            }
            return calendar.date(byAdding: component, value: value, to: start)
        }
    }

    // MARK: amount

    /// "1", "1 capsule", "2 softgels", "0.5 ml", "1/2 teaspoon", "1-2 capsules", "1 to 2 capsules";
    /// a bare number takes its unit from `format` ("capsule"). The unit is one word.
    static func dose(amount: String, format: String?) -> Dose? {
        var words = amount.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first else { return nil }
        words.removeFirst()
        var low: Double
        var high: Double?
        let bounds = first.split(separator: "-", omittingEmptySubsequences: false)
        if bounds.count == 2 {
            guard let from = number(String(bounds[0])), let to = number(String(bounds[1])) else { return nil }
            (low, high) = (from, to)
        } else {
            guard let value = number(first) else { return nil }
            low = value
            if words.count >= 2, words[0].lowercased() == "to", let to = number(words[1]) {
                high = to
                words.removeFirst(2)
            }
        }
        if let upper = high, upper <= low { return nil }
        guard low > 0 else { return nil }
        let unit: String
        switch words.count {
        case 0:
            guard let format = format?.trimmingCharacters(in: .whitespaces), isUnitWord(format) else { return nil }
            unit = format
        case 1 where isUnitWord(words[0]):
            unit = words[0]
        default:
            return nil
        }
        return Dose(low: low, high: high, unit: unit)
    }

    /// The UCUM code of a unit of measure, for the few a supplement's dose is written in; nil for a
    /// form ("capsule"), which UCUM does not name.
    static func ucumCode(of unit: String) -> String? {
        ["mg": "mg", "g": "g", "mcg": "ug", "µg": "ug", "ug": "ug", "ml": "mL", "l": "L", "iu": "[iU]"][unit.lowercased()]
    }

    /// Digits with an optional decimal part, or a fraction whose decimal form is exact (1/2, 1/4, 3/4).
    private static func number(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy(isDecimal) else { return nil }
        guard parts.count == 2 else { return Double(text) }
        guard let numerator = Int(parts[0]), let denominator = Int(parts[1]), [2, 4, 5, 8, 10].contains(denominator) else { return nil }
        return Double(numerator) / Double(denominator)
    }

    private static func isDecimal(_ text: Substring) -> Bool {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(pieces.count) && pieces.allSatisfy { !$0.isEmpty && $0.utf8.count <= 6 && $0.utf8.allSatisfy(ASCII.isDigit) }
    }

    /// "capsule", "softgels", "mL", "capsule(s)": letters, at most 30.
    private static func isUnitWord(_ word: String) -> Bool {
        let letters = word.hasSuffix("(s)") ? word.dropLast(3) : Substring(word)
        return !letters.isEmpty && letters.count <= 30 && letters.allSatisfy { $0.isLetter }
    }

    // MARK: frequency

    /// "once a day", "twice daily", "3 times per day", "2x/day", "BID", "every other day", "every 8 hours",
    /// "weekly", "once a week", "as needed".
    static func frequency(_ text: String) -> Frequency? {
        let words = text.lowercased().replacingOccurrences(of: "/", with: " per ")
            .split(whereSeparator: { $0.isWhitespace || $0 == "." || $0 == "," }).map(String.init)
        if ["as needed", "as required", "when needed", "prn"].contains(words.joined(separator: " ")) { return .asNeeded }
        if words.count == 1, let abbreviated = ["qd": 1, "bid": 2, "tid": 3, "qid": 4][words[0]] {
            return Frequency(count: abbreviated, period: 1, periodUnit: "d", asNeeded: false)
        }
        var rest = words[...]
        if rest.first == "every" || rest.first == "each" {
            rest.removeFirst()
            return every(rest)
        }
        guard let count = count(&rest), let unit = period(rest) else { return nil }
        return Frequency(count: count, period: 1, periodUnit: unit, asNeeded: false)
    }

    /// "once", "twice", "thrice", "2 times", "two times", "2x", "2 x"; "daily" and its kind on their own count once.
    private static func count(_ words: inout ArraySlice<String>) -> Int? {
        guard let first = words.first else { return nil }
        if let named = ["once": 1, "twice": 2, "thrice": 3][first] {
            words.removeFirst()
            return named
        }
        if first.hasSuffix("x"), let times = Int(first.dropLast()), times > 0 {
            words.removeFirst()
            return times
        }
        if let times = Int(first) ?? numberWords[first], times > 0, words.dropFirst().first.map(["times", "time", "x"].contains) == true {
            words.removeFirst(2)
            return times
        }
        return period(words) == nil ? nil : 1
    }

    /// "a day", "per day", "each day", "every day", "daily", "a week", "weekly", "a month", "an hour"... as a UCUM unit.
    private static func period(_ words: ArraySlice<String>) -> String? {
        switch words.count {
        case 1:
            return ["daily": "d", "nightly": "d", "weekly": "wk", "monthly": "mo", "hourly": "h"][words[words.startIndex]]
        case 2 where ["a", "an", "per", "each", "every"].contains(words[words.startIndex]):
            return unit(words[words.startIndex + 1], plural: false)
        default:
            return nil
        }
    }

    /// After "every": "day", "other day", "8 hours", "two weeks".
    private static func every(_ words: ArraySlice<String>) -> Frequency? {
        let list = Array(words)
        switch list.count {
        case 1:
            guard let unit = unit(list[0], plural: false) else { return nil }
            return Frequency(count: 1, period: 1, periodUnit: unit, asNeeded: false)
        case 2:
            let period = list[0] == "other" ? 2 : Int(list[0]) ?? numberWords[list[0]]
            guard let period, period > 0, let unit = unit(list[1], plural: list[0] != "other" && period > 1) else { return nil }
            return Frequency(count: 1, period: Double(period), periodUnit: unit, asNeeded: false)
        default:
            return nil
        }
    }

    private static func unit(_ word: String, plural: Bool) -> String? {
        let singular = ["hour": "h", "day": "d", "night": "d", "week": "wk", "month": "mo"]
        let plurals = ["hours": "h", "days": "d", "nights": "d", "weeks": "wk", "months": "mo"]
        return plural ? plurals[word] : singular[word]
    }

    private static let numberWords = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                                      "nine": 9, "ten": 10, "twelve": 12]

    // MARK: duration

    /// "30 days", "for 2 weeks", "3 months", "1 year", "one month"; not "ongoing" or "until finished".
    static func duration(_ text: String) -> Duration? {
        var words = text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "." }).map(String.init)
        if words.first == "for" { words.removeFirst() }
        guard words.count == 2, let value = Int(words[0]) ?? numberWords[words[0]], value > 0, value <= 3650 else { return nil }
        let units = ["day": "d", "days": "d", "week": "wk", "weeks": "wk", "month": "mo", "months": "mo", "year": "a", "years": "a"]
        guard let unit = units[words[1]], words[1].hasSuffix("s") == (value != 1) else { return nil }
        return Duration(value: value, unit: unit)
    }

    // MARK: time of day

    /// FHIR's `EventTiming` code for each of `times` ("morning", "bedtime", "with dinner"); nil when any
    /// one is unknown, so a list is never shown shorter than the practitioner wrote it.
    static func when(_ times: [String]) -> [String]? {
        let codes = times.map { eventTimings[$0.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")] }
        guard !codes.isEmpty, codes.allSatisfy({ $0 != nil }) else { return nil }
        var seen: Set<String> = []
        return codes.compactMap { $0 }.filter { seen.insert($0).inserted }
    }

    /// http://hl7.org/fhir/event-timing (R4) and the v3 TimingEvent codes it includes.
    private static let eventTimings = [
        "morning": "MORN", "in the morning": "MORN", "early morning": "MORN.early", "late morning": "MORN.late",
        "noon": "NOON", "midday": "NOON", "afternoon": "AFT", "in the afternoon": "AFT",
        "evening": "EVE", "in the evening": "EVE", "night": "NIGHT", "at night": "NIGHT",
        "bedtime": "HS", "at bedtime": "HS", "before bed": "HS", "before sleep": "HS",
        "upon waking": "WAKE", "on waking": "WAKE", "waking": "WAKE",
        "with meals": "C", "with a meal": "C", "with breakfast": "CM", "breakfast": "CM", "with lunch": "CD", "lunch": "CD",
        "with dinner": "CV", "dinner": "CV", "before meals": "AC", "before breakfast": "ACM", "before lunch": "ACD",
        "before dinner": "ACV", "after meals": "PC", "after breakfast": "PCM", "after lunch": "PCD", "after dinner": "PCV",
    ]
}
