import Server

/// Holds a session bound to one patient (the launch token's `patient`) to that patient. Each group
/// declares the path parameter its routes name the patient with; a bound session's request with any
/// other value, or with any other path parameter, is refused. So a new route that names its patient
/// differently is closed to bound sessions until it is declared, never silently open. A group may also
/// declare parameters that name something of the patient's (a plan): its routes check that it is theirs.
struct PatientBinding: RouterMiddleware {
    let access: SessionAccess
    /// The path parameter naming the patient in this group's routes; nil where none names one.
    let patientParameter: String?
    /// Path parameters that do not name a patient; every route of the group checks that what they name
    /// belongs to the patient `patientParameter` names.
    var patientsOwn: Set<String> = []
    let audience: Audience

    func handle(_ request: Request, next: Handler) async throws -> Response {
        guard !request.parameters.isEmpty else { return try await next(request) }
        var request = request
        guard let user = try await access.identity.identify(&request), let patient = user.patient else { return try await next(request) }
        if let other = request.parameters.first(where: {
            !patientsOwn.contains($0.key) && ($0.key != patientParameter || $0.value != patient)
        })?.value {
            // The audit row keeps what was asked for only when it is a patient id: never raw input.
            let subject = PatientRecord.isValidID(other) ? other : "(not a patient id)"
            return try await access.refuse(.otherPatient, user, subject: subject, request: request, audience: audience)
        }
        return try await next(request)
    }
}
