import Foundation
import Store

enum PatientLookup: Sendable, Equatable {
    case found(PatientRecord)
    /// Deleted in the EHR: only the tombstone is left.
    case deleted
    case unknown
}
