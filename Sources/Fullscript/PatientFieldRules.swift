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
    static func present(_ candidates: [String: String?]) -> [String: String] {
        candidates.compactMapValues { value in
            guard let value, !value.allSatisfy(\.isWhitespace) else { return nil }
            return value
        }
    }

    private static func isCalendarDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return false }
        return year > 0 && (1...12).contains(month) && (1...31).contains(day)
    }
}
