import Foundation
import HTTPTypes

/// The clinic's patients (scope `patients:read`).
extension FullscriptClient {
    /// Matches first name, last name or email.
    public func searchPatients(accessToken: String, query: String) async throws(FullscriptError) -> [Patient] {
        try await fetch(APIRequest(.get, "clinic", "search", "patients", endpoint: "search_patients", query: [("query", query)], accessToken: accessToken),
                        member: "patients").value
    }

    /// The patient whose email is exactly `email` (ignoring case): search also matches names and
    /// parts of addresses, and only an exact email says it is the same person.
    public func patient(accessToken: String, email: String) async throws(FullscriptError) -> Patient? {
        try await searchPatients(accessToken: accessToken, query: email).first { $0.email?.caseInsensitiveCompare(email) == .orderedSame }
    }

    public func patient(accessToken: String, id: String) async throws(FullscriptError) -> Patient {
        try await fetch(APIRequest(.get, "clinic", "patients", id, endpoint: "get_patient", accessToken: accessToken), member: "patient").value
    }

    /// Changes a patient's demographics (`PATCH /clinic/patients/{id}`, scope `patients:write`) and answers the
    /// patient as Fullscript now has it. Another clinic's patient is `.notFound`; refused values are `.validation`.
    /// Fullscript sends no `patient.updated` webhook for an app's own change (fullscript-api.md §7.5).
    public func updatePatient(accessToken: String, id: String, fields: PatientUpdate) async throws(FullscriptError) -> Patient {
        try fields.validate()
        var call = APIRequest(.patch, "clinic", "patients", id, endpoint: "update_patient", accessToken: accessToken)
        call.setJSON(fields.body)
        return try await decode(send(call)) { body throws in try Envelope<Patient>.decode(body, member: "patient").value }
    }
}
