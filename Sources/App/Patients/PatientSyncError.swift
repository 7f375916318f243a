/// Why a change could not be sent to Fullscript at all.
enum PatientSyncError: Error, CustomStringConvertible {
    /// The patient was deleted or unlinked since the change.
    case notLinked
    /// Nobody of the practice has a live Fullscript connection: the change waits for someone to connect.
    case nobodyConnected
    /// Outside production, the email is not at one of `patient_email_domains` (settled as failed).
    case emailNotAllowed
    /// Something of ours stopped the push before Fullscript answered (retried with backoff).
    case unsent(String)

    var description: String {
        switch self {
        case .notLinked: "the patient is no longer linked to a Fullscript patient"
        case .nobodyConnected: "nobody of this practice has a connected Fullscript account"
        case .unsent(let reason): "not sent: " + reason
        case .emailNotAllowed: "not sent: outside production, the email must be at one of fullscript.patient_email_domains"
        }
    }
}
