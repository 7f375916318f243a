@testable import App
import Cryptography
import Foundation
import Server
import ServerTesting
import Store
import Testing

/// Signing in through the EHR's launch token, as a browser would: cookies in, cookies out.
extension ConnectedHarness {
    static func sessions(
        mode: TestMode = .router, processWebhooks: Bool = true, pinnedDefaultClinic: Bool = true, shutdownGracePeriod: Duration = .seconds(1)
    ) async throws -> ConnectedHarness {
        try await ConnectedHarness(mode: mode, identity: nil, processWebhooks: processWebhooks, pinnedDefaultClinic: pinnedDefaultClinic,
                                   shutdownGracePeriod: shutdownGracePeriod)
    }

    func mint(_ user: String = "dr-quinn", name: String? = "Dr. Avery Quinn", tenant: String = Tenant.defaultID,
              lifetime: TimeInterval = 120) -> String {
        LaunchToken.mint(for: EHRUser(id: user, name: name, tenant: tenant), secret: Array(ApplicationTests.launchSecret.utf8), now: clock.now(),
                         lifetime: lifetime)
    }

    /// Launches `user` of `tenant` and returns the `fsr_session=…` cookie pair.
    func signIn(_ user: String = "dr-quinn", tenant: String = Tenant.defaultID) async throws -> String {
        let launched = try await get("/launch?token=\(mint(user, tenant: tenant))", user: nil)
        #expect(launched.status == 303)
        return try #require(launched.header("set-cookie")?.split(separator: ";").first.map(String.init))
    }

    /// Runs the connect flow for a signed-in browser, approving at the simulator as `practitioner`.
    func connect(session: String, as practitioner: String = "prac-1") async throws {
        #expect(try await connectResponse(session: session, as: practitioner).status == 200)
    }

    /// The callback's answer to the connect flow of a signed-in browser, approving at the simulator as `practitioner`.
    func connectResponse(session: String, as practitioner: String) async throws -> TestResponse {
        let connect = try await startConnect(returnTo: "/", user: nil, cookie: session)
        let location = try #require(connect.header("location"))
        let binding = try #require(connect.header("set-cookie")?.split(separator: ";").first.map(String.init))
        let authorize = try #require(URLComponents(string: location))
        let approved = try await fullscript.execute("GET \(authorize.percentEncodedPath)?\(authorize.percentEncodedQuery ?? "")&auto_approve=\(practitioner) HTTP/1.1\r\nHost: x\r\n\r\n")
        let backLocation = try #require(approved.header("location"))
        let back = try #require(URLComponents(string: backLocation))
        return try await get("/oauth/fullscript/callback?\(back.percentEncodedQuery ?? "")", user: nil, cookie: binding)
    }

    func auditActions() async throws -> [String] {
        try await application.database.read { connection in
            try connection.query("SELECT action, outcome FROM audit_log ORDER BY id") { "\(try $0.string("action")):\(try $0.string("outcome"))" }
        }
    }
}
