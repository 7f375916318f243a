import Foundation
import Fullscript
import Logging
import Store
import Synchronization

/// A user's connection as read back, tokens opened.
struct FullscriptConnection: Sendable {
    let user: EHRUser
    let resourceOwner: ResourceOwner
    let scope: [String]
    let accessToken: String
    let refreshToken: String
    let accessExpiresAt: Date
}
