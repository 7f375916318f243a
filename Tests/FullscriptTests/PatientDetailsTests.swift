import Testing
@testable import Fullscript

struct PatientDetailsTests {
    @Test func sendsEveryGivenFieldAsAString() {
        let details = PatientDetails(email: "z@example.com", firstName: "Zoë", lastName: "", dateOfBirth: "1980-02-29",
                                     gender: "Female", mobileNumber: "+12223334444", discount: 5)
        #expect(details.fields == ["email": "z@example.com", "first_name": "Zoë", "date_of_birth": "1980-02-29", "gender": "female",
                                   "mobile_number": "+12223334444", "discount": "5"])
        #expect(details.problems.isEmpty)
    }

    @Test func emailIsRequiredWithAnyOtherField() {
        #expect(PatientDetails(email: " ", lastName: "Ng").problems == ["Email is required when patient details are given"])
        #expect(PatientDetails(email: "").problems.isEmpty)
    }

    @Test func catchesFormatsFullscriptWouldRefuse() {
        let details = PatientDetails(email: "a@b.c", dateOfBirth: "02/29/1980", gender: "other", mobileNumber: "555-1234", discount: 120)
        #expect(details.problems == ["Gender must be male, female or x", "Date of birth must be yyyy-mm-dd",
                                     "Mobile number must be in international format, like +12223334444",
                                     "Discount must be between 0 and 100"])
    }

    /// One E.164 rule for our patients API and the client: the patients API refused a leading 0 while
    /// the client let it through to Fullscript.
    @Test(arguments: ["+0123456789", "+12", "12223334444", "+1222333444455556", "+1 222 333 4444"])
    func refusesWhatIsNotE164(number: String) {
        #expect(!E164.isValid(number))
        #expect(PatientDetails(email: "a@b.c", mobileNumber: number).problems
            == ["Mobile number must be in international format, like +12223334444"])
    }

    @Test(arguments: ["+12223334444", "+4420712345", "+861012345678901"])
    func acceptsE164(number: String) {
        #expect(E164.isValid(number))
        #expect(PatientDetails(email: "a@b.c", mobileNumber: number).problems.isEmpty)
    }
}

extension PatientDetailsTests {
    /// Digits only: a sign or a space in a part read as a number before (`Int("+1")` is 1).
    @Test(arguments: ["1980-+2-01", "1980-02-+1", "+980-02-01", "1980-02- 1", "1980-2-01", "19800-2-01", "1980-02-29x", "0000-02-01",
                      "1980-13-01", "1980-00-01", "1980-02-32", "١٩٨٠-02-01"])
    func refusesWhatIsNotACalendarDate(date: String) {
        #expect(PatientDetails(email: "a@b.c", dateOfBirth: date).problems == ["Date of birth must be yyyy-mm-dd"])
    }

    @Test(arguments: ["1980-02-29", "0001-01-01", "2024-12-31"])
    func acceptsACalendarDate(date: String) {
        #expect(PatientDetails(email: "a@b.c", dateOfBirth: date).problems.isEmpty)
    }
}
