import Foundation
import Fullscript

/// Every reason a patient body was refused, reported together so a service fixes them in one round.
struct PatientInputError: Error, Sendable, Equatable {
    let problems: [APIError.Detail]
}
