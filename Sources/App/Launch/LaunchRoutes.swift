import Foundation
import HTTPTypes
import Server

/// How an EHR user becomes signed in here: the EHR opens `/launch?token=…&return_to=/…` with a
/// launch token its backend minted, and gets a session cookie back. `SameSite=Strict` on that
/// cookie is what stops another site from making a signed-in practitioner recommend anything.
///
/// A launch link is also a way for someone else to sign a browser in as *them* (login CSRF): so a
/// launch never returns into the OAuth connect flow, and a launch that would replace the session of
/// a different EHR user asks first, on a page whose button only our own origin can press.
struct LaunchRoutes: Sendable {
    let sessions: SessionStore
    let settings: EHRSettings
    let now: @Sendable () -> Date

    static let path = "/launch"

    /// `pages` takes the launch link itself; `session` (origin-checked) the confirmation and sign-out.
    func register(pages: RouterGroup, session: RouterGroup) {
        pages.get(Self.path) { try await launch($0) }
        session.post(Self.path, body: .standard) { try await confirm($0) }
        session.post("/logout") { try await logout($0) }
    }

    func launch(_ request: Request) async throws -> Response {
        let query = request.queryParameters
        let returnTo = Self.returnPath(query["return_to"])
        let token: LaunchToken
        switch verify(query["token"]) {
        case .failure(let problem): return refused(problem)
        case .success(let verified): token = verified
        }
        if let current = try await sessions.userWithoutActivity(for: request), current.id != token.user.id || current.tenant != token.user.tenant {
            return confirmation(replacing: current, with: token.user, token: query["token"] ?? "", returnTo: returnTo)
        }
        return try await start(token, request, returnTo: returnTo, crossSite: request.head.headerFields[.secFetchSite] == "cross-site")
    }

    /// The answer to the question `confirmation` asked: the other user's session ends, this one starts.
    func confirm(_ request: Request) async throws -> Response {
        let form = request.formParameters
        let token: LaunchToken
        switch verify(form["token"]) {
        case .failure(let problem): return refused(problem)
        case .success(let verified): token = verified
        }
        _ = try await sessions.end(request)
        return try await start(token, request, returnTo: Self.returnPath(form["return_to"]), crossSite: false)
    }

    private func verify(_ text: String?) -> Result<LaunchToken, LaunchToken.Problem> {
        guard let text, !text.isEmpty, text.utf8.count <= 4096 else { return .failure(.malformed) }
        do {
            return .success(try LaunchToken(verifying: text, secret: settings.launchSecret, now: now()))
        } catch {
            return .failure(error)
        }
    }

    private func start(_ token: LaunchToken, _ request: Request, returnTo: ReturnPath, crossSite: Bool) async throws -> Response {
        let value: String
        switch try await sessions.create(for: token.user, tokenID: token.id, tokenExpiresAt: token.expiresAt, requestID: request.id) {
        case .started(let started): value = started
        case .tokenReused: return refused(.reused)
        case .unknownTenant: return refused(.unknownTenant(token.user.tenant))
        }
        // Launched from the EHR's own site, the redirect to `return_to` would go without the new cookie.
        var response = crossSite
            ? HTMLPage.continuing(to: returnTo, title: "Signed in")
            : Response.redirect(to: returnTo.path, status: .seeOther)
        response.headerFields[.setCookie] = sessions.cookie.setCookie(value, maxAge: Int(settings.sessionAbsoluteTimeout))
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    /// Where a launch may land: any page of ours but the connect flow (whose consent would then be
    /// granted under whoever minted the link) and the launch itself.
    static func returnPath(_ candidate: String?) -> ReturnPath {
        guard let path = ReturnPath(candidate) else { return .home }
        let first = path.segments.first?.lowercased()
        return first == "oauth" || first == "launch" ? .home : path
    }

    private func confirmation(replacing current: EHRUser, with next: EHRUser, token: String, returnTo: ReturnPath) -> Response {
        func name(_ user: EHRUser) -> String {
            let practice = user.tenant == Tenant.defaultID ? "" : ", practice \(user.tenant)"
            return HTMLEscaping.escape(user.name.map { "\($0) (\(user.id)\(practice))" } ?? user.id + practice)
        }
        let body = """
            <h1>Switch EHR user?</h1>
            <p>This browser is signed in as <strong>\(name(current))</strong>. The link you opened signs in <strong>\(name(next))</strong>.</p>
            <p>Only switch if you are \(name(next)). Someone else's link would make your Fullscript work happen under their name.</p>
            <form method="post" action="\(Self.path)">
            <input type="hidden" name="token" value="\(HTMLEscaping.escape(token))">
            <input type="hidden" name="return_to" value="\(HTMLEscaping.escape(returnTo.path))">
            <button type="submit" id="switch-user">Sign in as \(name(next))</button>
            </form>
            <p><a href="/" id="stay">Stay signed in as \(name(current))</a></p>
            """
        var response = Response.html(HTMLPage.document(title: "Switch EHR user?", body: body))
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
