public import Foundation

/// A user's grant from the token endpoint. Access tokens live two hours; the refresh token does
/// not expire but is replaced on every refresh.
public struct OAuthToken: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var tokenType: String
    /// Seconds from `createdAt`.
    public var expiresIn: Int
    public var scope: [String]
    public var createdAt: Date
    public var resourceOwner: ResourceOwner

    public var expiresAt: Date { createdAt + TimeInterval(expiresIn) }

    public init(accessToken: String, refreshToken: String, tokenType: String = "Bearer", expiresIn: Int, scope: [String],
                createdAt: Date, resourceOwner: ResourceOwner) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.scope = scope
        self.createdAt = createdAt
        self.resourceOwner = resourceOwner
    }
}

/// Tokens reach logs through interpolation, `dump` and error messages; none may show them.
extension OAuthToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "OAuthToken(resourceOwner: \(resourceOwner.type.rawValue) \(resourceOwner.id), scope: \(scope.joined(separator: " ")), "
            + "expiresAt: \(Timestamp.format(expiresAt)), accessToken: <redacted>, refreshToken: <redacted>)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessToken": "<redacted>", "refreshToken": "<redacted>", "tokenType": tokenType, "expiresIn": expiresIn,
            "scope": scope, "createdAt": createdAt, "resourceOwner": resourceOwner,
        ])
    }
}
