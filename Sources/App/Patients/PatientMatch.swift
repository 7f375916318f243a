/// Which Fullscript patient an EHR patient is, once `PatientMatcher` has looked.
enum PatientMatch: Sendable, Equatable {
    /// The mapping that stands.
    case mapped(String)
    /// Nobody yet: no answer, an email several patients hold, or the patient was deleted meanwhile.
    case unmapped
    /// Fullscript named a patient that is not this one to us (mapped to someone else, or not the one
    /// this patient is mapped to): refused and audited, and nothing may open on it.
    case refused

    var fullscriptPatientID: String? {
        if case .mapped(let id) = self { id } else { nil }
    }
}
