@testable import App
import Testing

@Suite struct RecentSessionsTests {
    private static func found(_ hash: String, lastSeen: Int64 = 100) -> SessionStore.Found {
        SessionStore.Found(hash: hash, user: EHRUser(id: "dr-quinn"), lastSeen: lastSeen, expiresAt: 1_000)
    }

    /// A read of the store that began before a session ended must not put the ended session back.
    @Test func aReadThatBeganBeforeAnEndIsNotKept() {
        let recent = RecentSessions()
        let before = recent.generation
        recent.forget("ended")
        recent.remember(Self.found("ended"), readAt: before)
        #expect(recent["ended"] == nil)
        recent.remember(Self.found("live"), readAt: recent.generation)
        #expect(recent["live"]?.user.id == "dr-quinn")
    }

    @Test func touchingMovesTheIdleExpiryButNeverBringsBackAForgottenSession() {
        let recent = RecentSessions()
        recent.remember(Self.found("a"), readAt: recent.generation)
        recent.touched("a", at: 160)
        #expect(recent["a"]?.lastSeen == 160)
        recent.touched("a", at: 130)
        #expect(recent["a"]?.lastSeen == 160, "a touch that lost the race does not move it back")
        recent.forget("a")
        recent.touched("a", at: 220)
        #expect(recent["a"] == nil)
    }

    @Test func aHitIsLiveOnlyWhileTheReadWouldFindIt() {
        let found = Self.found("a", lastSeen: 100)
        #expect(found.isLive(at: 150, idleTimeout: 60))
        #expect(!found.isLive(at: 160, idleTimeout: 60), "idle for the whole timeout")
        #expect(!SessionStore.Found(hash: "a", user: EHRUser(id: "u"), lastSeen: 990, expiresAt: 1_000).isLive(at: 1_000, idleTimeout: 60),
                "at the absolute expiry")
    }
}
