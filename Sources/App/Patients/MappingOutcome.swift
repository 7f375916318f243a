/// What became of an attempt to record which Fullscript patient an EHR patient is. A mapping is one
/// to one within a tenant and never overwritten, so all but the first two are refusals.
enum MappingOutcome: Sendable, Equatable {
    case recorded
    /// The EHR patient already was this Fullscript patient.
    case unchanged
    /// The EHR patient is another Fullscript patient (the one named), which stays.
    case patientMappedElsewhere(String)
    /// The Fullscript patient is another EHR patient's (the one named), which stays.
    case fullscriptPatientTaken(String)
    /// The EHR patient was deleted meanwhile.
    case patientGone
}
