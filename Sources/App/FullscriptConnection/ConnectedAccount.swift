import Foundation
import Fullscript

/// What a signed-in user may see of their own Fullscript connection: who it acts as and since when,
/// without the tokens.
struct ConnectedAccount: Sendable, Equatable {
    let type: ResourceOwner.Kind
    /// nil until the lookup at connect (or at a later token refresh) succeeded.
    let holder: AccountHolder?
    let connectedAt: String
    let scope: [String]

    /// "Avery Quinn (Practitioner)", or "Practitioner account" while the name is unknown.
    var label: String {
        holder.map { "\($0.fullName) (\(type.rawValue))" } ?? "\(type.rawValue) account"
    }
}
