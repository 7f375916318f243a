/// The format rules Fullscript's patient fields follow (fullscript-api.md §3.1, §4), checked before a
/// call by every request that carries patient fields, so one rule cannot drift between them.
enum PatientFieldRules {
    static let genders = ["male", "female", "x"]

    /// The problems with the format-checked fields among `fields` (keyed by their API names).
    static func problems(in fields: [String: String]) -> [String] {
        var problems: [String] = []
        if let gender = fields["gender"], !genders.contains(gender) { problems.append("Gender must be male, female or x") }
        if let date = fields["date_of_birth"], !isCalendarDate(date) { problems.append("Date of birth must be yyyy-mm-dd") }
        if let mobile = fields["mobile_number"], !E164.isValid(mobile) {
            problems.append("Mobile number must be in international format, like +12223334444")
        }
        return problems
    }

    /// The members Fullscript receives, all strings as its reference types them; blank ones left out.
    /// Pairs rather than a dictionary of optionals: every click builds this, and one dictionary hashes each key once.
    static func present(_ candidates: KeyValuePairs<String, String?>) -> [String: String] {
        var fields: [String: String] = [:]
        fields.reserveCapacity(candidates.count)
        for case (let name, let value?) in candidates where !isBlank(value) {
            fields[name] = value
        }
        return fields
    }

    /// What counts as absent: an empty or all-blank value.
    static func isBlank(_ value: String) -> Bool {
        value.allSatisfy(\.isWhitespace)
    }

    /// `yyyy-mm-dd`, digits only, checked on the bytes (no substrings: every click with a birth date runs it).
    private static func isCalendarDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return false }
        return year > 0 && (1...12).contains(month) && (1...31).contains(day)
    }
}
