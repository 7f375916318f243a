/// The clinic's patients (scope `patients:read`).
extension FullscriptClient {
    /// Matches first name, last name or email.
    public func searchPatients(accessToken: String, query: String) async throws(FullscriptError) -> [Patient] {
        try await fetch(APIRequest(.get, "clinic", "search", "patients", query: [("query", query)], accessToken: accessToken),
                        member: "patients").value
    }

    public func patient(accessToken: String, id: String) async throws(FullscriptError) -> Patient {
        try await fetch(APIRequest(.get, "clinic", "patients", id, accessToken: accessToken), member: "patient").value
    }
}
