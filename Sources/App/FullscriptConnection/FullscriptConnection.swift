import Foundation
import Fullscript

/// A user's connection as read back, tokens opened.
struct FullscriptConnection: Sendable {
    let user: EHRUser
    let resourceOwner: ResourceOwner
    let accessToken: String
    let refreshToken: String
    let accessExpiresAt: Date
}
