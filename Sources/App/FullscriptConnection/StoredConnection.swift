/// A connection as read back, with what `TokenVault.checkClinic` needs from the same row, so a click reads it once.
struct StoredConnection: Sendable {
    let connection: FullscriptConnection
    /// Made before connections recorded their clinic: `checkClinic` asks Fullscript which it is.
    let clinicUnrecorded: Bool
}
