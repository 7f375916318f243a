import Fullscript

/// How a click names the patient to Fullscript (`PatientMatcher.naming(of:)`).
enum PatientNaming: Sendable, Equatable {
    /// The draft link: matched by email, or created carrying the EHR id as `metadata.id`.
    case draft(PatientDetails)
    /// The gateway link: by Fullscript id once mapped, else by EHR id and names (a patient without an email).
    case gateway(GatewayPatient)
    /// Nothing to name them by: the generic new-plan link, where the practitioner picks the patient.
    case nobody

    /// What the click's `recommendations` row records as `link_kind`.
    var linkKind: String {
        switch self {
        case .draft: "draft"
        case .gateway: "gateway"
        case .nobody: "new"
        }
    }
}
