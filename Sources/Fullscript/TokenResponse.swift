import Foundation

/// The token endpoint's body: documented inside `{"oauth": {…}}`, accepted bare as well. Members
/// the docs leave open are filled so that a token is still usable: `scope` may be a list,
/// `created_at` may be missing (then the time of receipt), `expires_in` defaults to the documented
/// two hours, and a refresh answer without a new refresh token keeps the old one.
struct TokenResponse: Decodable {
    var accessToken: String
    var refreshToken: String?
    var tokenType: String?
    var expiresIn: Int?
    var scope: [String]
    var createdAt: Date?
    var resourceOwner: ResourceOwner

    private enum CodingKeys: String, CodingKey {
        case oauth
        case accessToken = "access_token", refreshToken = "refresh_token", tokenType = "token_type"
        case expiresIn = "expires_in", scope, createdAt = "created_at", resourceOwner = "resource_owner"
    }

    init(from decoder: any Decoder) throws {
        let outer = try decoder.container(keyedBy: CodingKeys.self)
        let container = outer.contains(.oauth) ? try outer.nestedContainer(keyedBy: CodingKeys.self, forKey: .oauth) : outer
        accessToken = try container.decode(String.self, forKey: .accessToken)
        refreshToken = container.decodeLenient(String.self, forKey: .refreshToken)
        tokenType = container.decodeLenient(String.self, forKey: .tokenType)
        expiresIn = container.decodeLenient(Int.self, forKey: .expiresIn)
        if let list = container.decodeLenient([String].self, forKey: .scope) {
            scope = list
        } else {
            scope = (container.decodeLenient(String.self, forKey: .scope) ?? "").split(separator: " ").map(String.init)
        }
        createdAt = container.contains(.createdAt) && (try? container.decodeNil(forKey: .createdAt)) == false
            ? try container.decodeTimestamp(forKey: .createdAt) : nil
        resourceOwner = try container.decode(ResourceOwner.self, forKey: .resourceOwner)
    }

    /// `nil` when neither the answer nor the caller has a refresh token.
    func token(receivedAt: Date, previousRefreshToken: String?) -> OAuthToken? {
        guard let refreshToken = refreshToken ?? previousRefreshToken else { return nil }
        return OAuthToken(accessToken: accessToken, refreshToken: refreshToken, tokenType: tokenType ?? "Bearer",
                          expiresIn: expiresIn ?? 7200, scope: scope, createdAt: createdAt ?? receivedAt,
                          resourceOwner: resourceOwner)
    }
}
