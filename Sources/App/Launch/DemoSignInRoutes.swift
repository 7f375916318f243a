import Foundation
import Server
import HTTPTypes

/// The demo's stand-in for an EHR's own sign-in: pick a seeded EHR user, and this page mints the
/// launch token the EHR's backend would, then follows the same `/launch` path as production.
/// Registered only when `ehr.demo_sign_in` is on.
struct DemoSignInRoutes: Sendable {
    let settings: EHRSettings
    let now: @Sendable () -> Date

    static let path = "/demo/sign-in"

    /// `pages` takes the page; `session` (origin-checked) its form, so no other site can sign a browser in.
    func register(pages: RouterGroup, session: RouterGroup) {
        pages.get(Self.path) { request in page(returnTo: LaunchRoutes.returnPath(request.queryParameters["return_to"])) }
        session.post(Self.path, body: .standard) { try await signIn($0) }
    }

    private func page(returnTo: ReturnPath) -> Response {
        let choices = DemoSeed.users.map { user in
            """
            <li><form method="post" action="\(Self.path)">
            <input type="hidden" name="user" value="\(HTMLEscaping.escape(user.id))">
            <input type="hidden" name="return_to" value="\(HTMLEscaping.escape(returnTo.path))">
            <button type="submit">\(HTMLEscaping.escape(user.name ?? user.id))</button> <span>\(HTMLEscaping.escape(user.role))</span>
            </form></li>
            """
        }.joined()
        var response = Response.html(HTMLPage.document(
            title: "Demo EHR sign-in",
            body: """
                <h1>Demo EHR sign-in</h1>
                <p>In a real deployment the EHR signs its users in and its backend mints the launch token. Here, pick who you are:</p>
                <ul class="choices">\(choices)</ul>
                """
        ))
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    private func signIn(_ request: Request) async throws -> Response {
        let form = request.formParameters
        guard let user = DemoSeed.users.first(where: { $0.id == form["user"] }) else {
            return HTMLPage.response(.badRequest, title: "Unknown demo user", message: "Pick one of the listed users.",
                                     link: ("Back", Self.path))
        }
        let token = LaunchToken.mint(for: EHRUser(id: user.id, name: user.name), secret: settings.launchSecret, now: now())
        let returnTo = LaunchRoutes.returnPath(form["return_to"])
        let target = "/launch?token=\(token)&return_to=" + FormURLEncoding.escape(returnTo.path)
        var response = Response.redirect(to: target, status: .seeOther)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
