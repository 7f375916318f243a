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

    /// 10,000 requests 0.1 s apart, from 0 to 999.9 s: at 1,000 s the last five minutes' 2,999 count (700.1 s on),
    /// whatever was dropped before them.
    @Test func onlyTheWindowCounts() {
        var limiter = RateLimiter()
        let start = Date(timeIntervalSince1970: 0)
        for request in 0..<10_000 {
            #expect(limiter.admit("t", at: start.addingTimeInterval(Double(request) / 10), limit: 3_000) == nil)
        }
        let next = start.addingTimeInterval(1_000)
        #expect(limiter.admit("t", at: next, limit: 3_000) == nil, "2,999 in the window before it")
        #expect(limiter.admit("t", at: next, limit: 3_000) == 1, "3,000 now; the oldest leaves 0.1 s later, rounded up")
        #expect(limiter.admit("other", at: next, limit: 1) == nil, "per token")
    }

    /// A clock that went back: the earlier time is counted as long as it is in the window, and no longer.
    @Test func aTimeBeforeTheLastCountsInItsOwnPlace() {
        var limiter = RateLimiter()
        let start = Date(timeIntervalSince1970: 1_000)
        #expect(limiter.admit("t", at: start.addingTimeInterval(400), limit: 2) == nil)
        #expect(limiter.admit("t", at: start.addingTimeInterval(100), limit: 2) == nil)
        // At 420, the one at 100 has left the window and the one at 400 has not.
        #expect(limiter.admit("t", at: start.addingTimeInterval(420), limit: 2) == nil)
        #expect(limiter.admit("t", at: start.addingTimeInterval(421), limit: 2) == 279)
    }
}
