import Foundation
import Store

/// The EHR's patient as internal services last sent it. Every field is optional: one without an email
/// (a dependent) is named to Fullscript by EHR id and names (`PatientMatcher.naming`).
struct PatientRecord: Sendable, Equatable {
    var ehrPatientID: String
    var email: String?
    var firstName: String?
    var lastName: String?
    var dateOfBirth: String?
    var gender: String?
    var mobileNumber: String?
    /// Known once Fullscript has told us which of its patients this is.
    var fullscriptPatientID: String?
    var createdAt: String
    var updatedAt: String
    /// How the last change reached Fullscript; nil until a linked patient is changed.
    var fullscriptSync: PatientSyncState? = nil

    static let maxIDLength = 64

    /// EHR ids travel in paths and URLs: 1–64 characters of `A-Z a-z 0-9 . _ : -`.
    static func isValidID(_ text: String) -> Bool {
        ASCII.isPlainIdentifier(text, maxLength: maxIDLength, marks: "._:-")
    }
}
