import Foundation
import Fullscript

/// The body of `PUT /api/v1/patients/:id`, checked here so that what reaches Fullscript later is
/// something it accepts: Fullscript's own 422 would surface only at click time, in front of a practitioner.
enum PatientInput {
    static let fields = ["email", "first_name", "last_name", "date_of_birth", "gender", "mobile_number"]
    static let genders = ["male", "female", "x"]
    /// RFC 5321's limit for a forward path, which Fullscript and mail servers enforce.
    static let maxEmailLength = 254
    static let maxNameLength = 100

    /// The patient the body describes: a full replacement, so an absent field is cleared like a null.
    static func record(from body: [String: JSONValue], id: String, at date: Date) throws(PatientInputError) -> PatientRecord {
        var problems: [APIError.Detail] = []
        var values: [String: String] = [:]
        let today = latestDate(at: date)
        for field in fields {
            switch body[field] ?? .null {
            case .null:
                break
            case .string(let text):
                if let problem = problem(field: field, text, today: today) {
                    problems.append(.init(field: field, problem: problem))
                } else {
                    values[field] = text
                }
            default:
                problems.append(.init(field: field, problem: "must be a string or null"))
            }
        }
        for field in body.keys.sorted() where !fields.contains(field) {
            problems.append(.init(field: field, problem: "is not a patient field (known: \(fields.joined(separator: ", ")))"))
        }
        guard problems.isEmpty else { throw PatientInputError(problems: problems) }
        let stamp = Timestamp.iso8601(date)
        return PatientRecord(
            ehrPatientID: id, email: values["email"], firstName: values["first_name"], lastName: values["last_name"],
            dateOfBirth: values["date_of_birth"], gender: values["gender"], mobileNumber: values["mobile_number"],
            fullscriptPatientID: nil, createdAt: stamp, updatedAt: stamp
        )
    }

    private static func problem(field: String, _ text: String, today: String) -> String? {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return "must not be blank (send null to clear it)" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        switch field {
        case "email":
            if text.count > maxEmailLength { return "must be at most \(maxEmailLength) characters" }
            return isEmail(text) ? nil : "is not an email address (expected one @ between a name and a domain such as example.com)"
        case "first_name", "last_name":
            return text.count > maxNameLength ? "must be at most \(maxNameLength) characters" : nil
        case "date_of_birth":
            guard let date = CalendarDate(text) else { return "must be a real date written yyyy-mm-dd" }
            return date.text > today ? "must not be in the future" : nil
        case "gender":
            return genders.contains(text) ? nil : "must be one of \(genders.joined(separator: ", "))"
        case "mobile_number":
            return E164.isValid(text) ? nil : "must be an E.164 number: + then 7 to 15 digits, the first not 0 (e.g. +12223334444)"
        default:
            return nil
        }
    }

    /// Deliberately loose (mail servers are the real judge) but enough to catch a name or phone
    /// number pasted into the email field before Fullscript turns it into a 422 at click time.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty,
              !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    /// Today's date where it is latest on Earth (UTC+14), so a birth earlier today anywhere is not "in the future".
    private static func latestDate(at date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 14 * 3600)!).year().month().day())
    }
}
