@testable import App
import Cryptography
import Foundation
import Fullscript
import HTTPTypes
import FullscriptSandbox
import Logging
import Server
import ServerTesting
import Store
import Synchronization
import Testing

struct OAuthConnectTests {
    @Test func connectsAndReturnsWhereTheUserStarted() async throws {
        try await withHarness { harness in
            let connect = try await harness.startConnect(returnTo: "/patients/42")
            let location = try #require(connect.header("location"))
            #expect(location.contains("client_id=sandbox-client"))
            #expect(location.contains("response_type=code"))
            #expect(location.contains("state="))
            let cookie = try #require(connect.header("set-cookie"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))

            let (callback, binding) = try await harness.consent()
            let done = try await harness.get(callback, user: nil, cookie: binding)
            // A page of ours moves on, so the next request is same-site and carries the SameSite=Strict session.
            #expect(done.status == 200)
            #expect(done.text.contains(#"<meta http-equiv="refresh" content="0;url=/patients/42">"#))
            #expect(done.header("set-cookie")?.contains("Max-Age=0") == true)

            let rows = try await harness.storedRows()
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(try row.string("ehr_user_id") == "alice")
            #expect(try row.string("resource_owner_id") == "prac-1")
            #expect(try row.string("resource_owner_type") == "Practitioner")
            let connection = try #require(try await harness.application.vault.connection(for: EHRUser(id: "alice")))
            let sealed = try row.blob("access_token")
            #expect(!String(decoding: sealed, as: UTF8.self).contains(connection.accessToken))
            #expect(!connection.accessToken.isEmpty)
        }
    }

    @Test func refusesEveryBadStateAndStoresNothing() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            let code = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
            #expect(try await harness.get("/oauth/fullscript/callback?code=\(code)", cookie: cookie).status == 400)
            #expect(try await harness.get("/oauth/fullscript/callback?code=\(code)&state=forged", cookie: cookie).status == 400)
            let otherBrowser = try await harness.get(callback, cookie: "fs_oauth_binding=someone-else")
            #expect(otherBrowser.status == 400)
            #expect(otherBrowser.text.contains("different browser"))
            #expect(try await harness.storedRows().isEmpty)

            let (fresh, freshCookie) = try await harness.consent()
            #expect(try await harness.get(fresh, cookie: freshCookie).status == 200)
            let reused = try await harness.get(fresh, cookie: freshCookie)
            #expect(reused.status == 400)
            #expect(reused.text.contains("already used"))

            let (late, lateCookie) = try await harness.consent(user: "bob")
            harness.clock.advance(by: 11 * 60)
            let expired = try await harness.get(late, cookie: lateCookie)
            #expect(expired.status == 400)
            #expect(expired.text.contains("10 minutes"))
            #expect(try await harness.storedRows().count == 1)
        }
    }

    @Test func deniedConsentGetsAFriendlyPage() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            let state = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "state" }?.value)
            let denied = try await harness.get("/oauth/fullscript/callback?error=access_denied&state=\(state)", cookie: cookie)
            #expect(denied.status == 200)
            #expect(denied.text.contains("chose not to allow"))
            #expect(try await harness.storedRows().isEmpty)
        }
    }

    @Test func fullscriptDownDuringTheExchangeStoresNothing() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            await harness.sandbox.setFaults([.status(503)], count: 1)
            let failed = try await harness.get(callback, cookie: cookie)
            #expect(failed.status == 502)
            #expect(failed.text.contains("could not be reached"))
            #expect(try await harness.storedRows().isEmpty)
        }
    }

    @Test func neverRedirectsOffSite() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent(returnTo: "//evil.example/steal")
            #expect(try await harness.get(callback, cookie: cookie).text.contains("url=/\""))
        }
    }

    @Test func refusesConnectWithoutASignedInUser() async throws {
        try await withHarness { harness async throws in
            #expect(try await harness.get("/oauth/fullscript/connect", user: nil).status == 401)
        }
    }

    @Test func refreshesOncePerUserUnderConcurrentClicks() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            _ = try await harness.get(callback, cookie: cookie)
            let before = try #require(try await harness.application.vault.connection(for: EHRUser(id: "alice")))
            // Both sides' clocks move, as real ones do: a token refreshed now is fresh on both.
            harness.clock.advance(by: 7200 - 60)
            await harness.sandbox.advanceClock(by: 7200 - 60)
            let vault = harness.application.vault
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for click in 0..<30 {
                    group.addTask {
                        // Staggered, so some clicks arrive while the refresh is finishing or just after.
                        try await Task.sleep(for: .milliseconds(click % 10))
                        return try await vault.accessToken(for: EHRUser(id: "alice")).accessToken
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(tokens.count == 1)
            #expect(!tokens.contains(before.accessToken))
            #expect(await harness.sandbox.tokenRefreshCount() == 1)
        }
    }

    @Test func twoRequestsRefusedWithTheSameTokenRefreshOnce() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            _ = try await harness.get(callback, cookie: cookie)
            let vault = harness.application.vault
            let refused = try #require(try await vault.connection(for: EHRUser(id: "alice"))).accessToken
            let first = try await vault.refresh(EHRUser(id: "alice"), replacing: refused)
            let second = try await vault.refresh(EHRUser(id: "alice"), replacing: refused)
            #expect(first.accessToken == second.accessToken)
            #expect(first.accessToken != refused)
            #expect(await harness.sandbox.tokenRefreshCount() == 1)
        }
    }

    @Test func revokedAtFullscriptMeansReconnect() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            _ = try await harness.get(callback, cookie: cookie)
            await harness.sandbox.revokeAllTokens(ofUser: "prac-1")
            let stale = try #require(try await harness.application.vault.connection(for: EHRUser(id: "alice"))).accessToken
            await #expect(throws: TokenVaultError.reconnectRequired) {
                try await harness.application.vault.refresh(EHRUser(id: "alice"), replacing: stale)
            }
            await #expect(throws: TokenVaultError.reconnectRequired) { try await harness.application.vault.accessToken(for: EHRUser(id: "alice")) }
            let row = try #require(try await harness.storedRows().first)
            #expect(try row.string("status") == "disconnected")
        }
    }

    @Test func disconnectRevokesAndForgets() async throws {
        try await withHarness { harness in
            let (callback, cookie) = try await harness.consent()
            _ = try await harness.get(callback, cookie: cookie)
            let deleted = try await harness.execute("DELETE /oauth/fullscript/disconnect HTTP/1.1\r\nHost: x\r\nX-Test-User: alice\r\nSec-Fetch-Site: same-origin\r\n\r\n")
            #expect(deleted.status == 204)
            #expect(try await harness.storedRows().isEmpty)
            #expect(await harness.sandbox.recordedRequests().contains { $0.path == "/api/oauth/revoke" })
        }
    }

    @Test func rotatesTheEncryptionKeyWithoutDisconnectingAnyone() async throws {
        let newKey = try SymmetricKey(bytes: SecureRandom.bytes(count: 32))
        try await withHarness { harness in
            let database = harness.application.database
            let keysBefore = harness.application.config.tokenKeys
            try await database.write { connection in
                try connection.execute(
                    """
                    INSERT INTO fullscript_connections (tenant_id, ehr_user_id, resource_owner_id, resource_owner_type, scope, access_token,
                        refresh_token, key_id, access_expires_at, created_at, updated_at)
                    VALUES ('default', 'carol', 'prac-2', 'Practitioner', 'clinic:read', ?, ?, ?, 0, '', '')
                    """,
                    [.blob(keysBefore.seal("access-secret", field: "access_token", user: EHRUser(id: "carol"))),
                     .blob(keysBefore.seal("refresh-secret", field: "refresh_token", user: EHRUser(id: "carol"))),
                     .text(keysBefore.current.fingerprint)]
                )
            }
            let rotated = TokenKeyRing(current: newKey, previous: [keysBefore.current])
            #expect(try await TokenVault.resealUnderCurrentKey(database: database, keys: rotated) == 1)
            let row = try #require(try await database.read { try $0.queryFirst("SELECT * FROM fullscript_connections WHERE ehr_user_id = 'carol'") })
            #expect(try row.string("key_id") == newKey.fingerprint)
            let onlyNew = TokenKeyRing(current: newKey)
            #expect(try onlyNew.open(try row.blob("refresh_token"), keyID: newKey.fingerprint, field: "refresh_token", user: EHRUser(id: "carol")) == "refresh-secret")
            #expect(throws: (any Error).self) {
                try onlyNew.open(try row.blob("refresh_token"), keyID: newKey.fingerprint, field: "refresh_token", user: EHRUser(id: "mallory"))
            }
        }
    }
}
