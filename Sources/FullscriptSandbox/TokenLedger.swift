import Cryptography
import Foundation

/// Access/refresh token pairs. Refresh tokens never expire; access tokens expire after the configured
/// lifetime. Rotation follows Fullscript's grace rule: the refresh token a pair replaced keeps working
/// until the new access token is first used, so an app that lost a refresh response can retry it.
/// Retiring a pair ends its access token too: Doorkeeper, which Fullscript's OAuth follows, keeps
/// both in one record and revokes them together.
struct TokenLedger: Sendable {
    struct Grant: Sendable {
        let userID: String
        let accessToken: String
        let refreshToken: String
        let createdAt: Date
        /// The access tokens of the pairs this one replaced (more than one when refreshes were chained
        /// without using the tokens in between), retired when this one is first used.
        var predecessors: [String]
    }

    private var grants: [String: Grant] = [:]
    private var accessTokenByRefresh: [String: String] = [:]

    mutating func issue(userID: String, at now: Date, replacing predecessors: [String] = []) -> Grant {
        let grant = Grant(
            userID: userID, accessToken: Self.randomToken(), refreshToken: Self.randomToken(), createdAt: now, predecessors: predecessors
        )
        grants[grant.accessToken] = grant
        accessTokenByRefresh[grant.refreshToken] = grant.accessToken
        return grant
    }

    mutating func refresh(_ refreshToken: String, at now: Date) -> Grant? {
        guard let accessToken = accessTokenByRefresh[refreshToken], let old = grants[accessToken] else { return nil }
        return issue(userID: old.userID, at: now, replacing: [old.accessToken] + old.predecessors)
    }

    /// The grant behind a live access token; using it ends its predecessor's grace.
    mutating func authenticate(_ accessToken: String, at now: Date, lifetime: Int) -> Grant? {
        guard var grant = grants[accessToken], now < grant.createdAt.addingTimeInterval(TimeInterval(lifetime)) else { return nil }
        if !grant.predecessors.isEmpty {
            grant.predecessors.forEach { remove(accessToken: $0) }
            grant.predecessors = []
            grants[accessToken] = grant
        }
        return grant
    }

    /// Either token of a pair revokes both.
    mutating func revoke(_ token: String) {
        remove(accessToken: accessTokenByRefresh[token] ?? token)
    }

    mutating func revokeAll(ofUser userID: String) {
        for grant in grants.values where grant.userID == userID {
            remove(accessToken: grant.accessToken)
        }
    }

    /// Fullscript sends webhooks only while some user's token is unrevoked.
    func hasUnrevokedGrant(ofUser belongs: (String) -> Bool) -> Bool {
        grants.values.contains { belongs($0.userID) }
    }

    private mutating func remove(accessToken: String) {
        guard let grant = grants.removeValue(forKey: accessToken) else { return }
        accessTokenByRefresh[grant.refreshToken] = nil
    }

    static func randomToken() -> String {
        Base64URL.encode(SecureRandom.bytes(count: 32))
    }
}
