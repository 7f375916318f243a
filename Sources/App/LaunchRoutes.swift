import Foundation
import HTTPTypes
import Server

/// How an EHR user becomes signed in here: the EHR opens `/launch?token=…&return_to=/…` with a
/// launch token its backend minted, and gets a session cookie back. `SameSite=Strict` on that
/// cookie is what stops another site from making a signed-in practitioner recommend anything.
struct LaunchRoutes: Sendable {
    let sessions: SessionStore
    let settings: EHRSettings
    let now: @Sendable () -> Date

    func register(on router: inout Router) {
        router.get("/launch") { try await launch($0) }
        router.post("/logout") { try await logout($0) }
    }

    func launch(_ request: Request) async throws -> Response {
        let returnTo = ReturnPath(request.queryParameters["return_to"]) ?? .home
        guard let text = request.queryParameters["token"], !text.isEmpty, text.utf8.count <= 4096 else {
            return refused(.malformed)
        }
        let token: LaunchToken
        do {
            token = try LaunchToken(verifying: text, secret: settings.launchSecret, now: now())
        } catch {
            return refused(error)
        }
        guard let value = try await sessions.create(for: token.user, tokenID: token.id, tokenExpiresAt: token.expiresAt,
                                                    requestID: request.id) else {
            return refused(.reused)
        }
        // Launched from the EHR's own site, the redirect to `return_to` would go without the new cookie.
        var response = request.head.headerFields[.secFetchSite] == "cross-site"
            ? HTMLPage.continuing(to: returnTo, title: "Signed in")
            : Response.redirect(to: returnTo.path, status: .seeOther)
        response.headerFields[.setCookie] = sessions.cookie.setCookie(value, maxAge: Int(settings.sessionAbsoluteTimeout))
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    private func refused(_ problem: LaunchToken.Problem) -> Response {
        var response = HTMLPage.response(
            .unauthorized, title: "Sign-in link not accepted",
            message: problem.description + " Nothing was changed. Open Fullscript again from the EHR to get a fresh link.",
            link: settings.demoSignIn ? ("Demo sign-in", DemoSignInRoutes.path) : nil
        )
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    func logout(_ request: Request) async throws -> Response {
        _ = try await sessions.end(request)
        var response = Response.redirect(to: "/", status: .seeOther)
        response.headerFields[.setCookie] = sessions.cookie.cleared
        return response
    }
}
