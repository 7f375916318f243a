import Foundation
@testable import FullscriptSandbox
import Testing

struct TokenLedgerTests {
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func chainedRefreshesRetireEveryEarlierPairOnFirstUse() throws {
        var ledger = TokenLedger()
        let first = ledger.issue(userID: "prac-1", at: start)
        let refreshed = ledger.refresh(first.refreshToken, at: start)
        let second = try #require(refreshed)
        let refreshedAgain = ledger.refresh(second.refreshToken, at: start)
        let third = try #require(refreshedAgain)
        #expect(ledger.authenticate(third.accessToken, at: start, lifetime: 7200) != nil)
        #expect(ledger.refresh(first.refreshToken, at: start) == nil)
        #expect(ledger.refresh(second.refreshToken, at: start) == nil)
        #expect(ledger.authenticate(first.accessToken, at: start, lifetime: 7200) == nil)
    }

    @Test func revokingEitherTokenEndsThePair() {
        var ledger = TokenLedger()
        let grant = ledger.issue(userID: "prac-1", at: start)
        ledger.revoke(grant.accessToken)
        #expect(ledger.refresh(grant.refreshToken, at: start) == nil)
        #expect(!ledger.hasUnrevokedGrant { _ in true })
    }

    @Test func refreshTokensOutliveAccessTokens() {
        var ledger = TokenLedger()
        let grant = ledger.issue(userID: "prac-1", at: start)
        let later = start.addingTimeInterval(86_400 * 365)
        #expect(ledger.authenticate(grant.accessToken, at: later, lifetime: 7200) == nil)
        #expect(ledger.refresh(grant.refreshToken, at: later) != nil)
    }
}

struct RateLimiterTests {
    @Test func windowRolls() {
        var limiter = RateLimiter()
        let start = Date(timeIntervalSince1970: 0)
        #expect(limiter.admit("t", at: start, limit: 2) == nil)
        #expect(limiter.admit("t", at: start.addingTimeInterval(100), limit: 2) == nil)
        #expect(limiter.admit("t", at: start.addingTimeInterval(200), limit: 2) == 100)
        #expect(limiter.admit("t", at: start.addingTimeInterval(300), limit: 2) == nil)
    }
}
