/// How the patient's last change in the EHR fared on its way to Fullscript (`patient_sync`).
struct PatientSyncState: Sendable, Equatable {
    /// `pending`, `synced` or `failed`.
    var status: String
    /// Why it failed, or why the last attempt did; never patient details.
    var error: String?
    var updatedAt: String
}
