import Foundation
import Server
import HTTPTypes

/// The demo's stand-in for an EHR's own sign-in: pick a seeded EHR user of one of its practices, and the
/// form's answer makes the launch token the EHR's backend would (the practice in its `tenant` claim),
/// then follows the same `/launch` path as production.
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
        let practices = DemoSeed.practices.map { practice in
            let heading = "practice-" + HTMLEscaping.escape(practice.tenant)
            let choices = practice.users.map { user in
                """
                <li><form method="post" action="\(Self.path)">
                <input type="hidden" name="practice" value="\(HTMLEscaping.escape(practice.tenant))">
                <input type="hidden" name="user" value="\(HTMLEscaping.escape(user.id))">
                <input type="hidden" name="return_to" value="\(HTMLEscaping.escape(returnTo.path))">
                <button type="submit">\(HTMLEscaping.escape(user.name ?? user.id))</button> <span>\(HTMLEscaping.escape(user.role))</span>
                </form></li>
                """
            }.joined()
            return """
                <section class="practice" aria-labelledby="\(heading)">
                <h2 id="\(heading)">\(HTMLEscaping.escape(practice.name))</h2>
                <ul class="choices">\(choices)</ul>
                </section>
                """
        }.joined()
        var response = Response.html(HTMLPage.document(
            title: "Sign in to the demo EHR",
            body: """
                <h1>Sign in to the demo EHR</h1>
                <p>This demo EHR serves two practices, each with its own people, patients and Fullscript clinic: what you do in one \
                is never seen in the other. Choose who you are: no password, because a real EHR signs its users in itself and then \
                hands them to this server.</p>
                \(practices)
                <p><a href="/embed.html">How to put the button in your own EHR</a> · <a href="/">Back to the demo EHR</a></p>
                """
        ))
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    private func signIn(_ request: Request) async throws -> Response {
        let form = request.formParameters
        // A form without a practice is the default one's, as a launch token without a `tenant` claim is.
        guard let practice = DemoSeed.practice(form["practice"] ?? Tenant.defaultID),
              let user = practice.users.first(where: { $0.id == form["user"] }) else {
            return HTMLPage.response(.badRequest, title: "Unknown demo user", message: "Choose one of the people listed on the sign-in page.",
                                     link: ("Back", Self.path))
        }
        let signedIn = EHRUser(id: user.id, name: user.name, tenant: practice.tenant, roles: user.roles)
        let token = LaunchToken.mint(for: signedIn, secret: settings.launchSecret, now: now())
        let returnTo = LaunchRoutes.returnPath(form["return_to"])
        let target = "/launch?token=\(token)&return_to=" + FormURLEncoding.escape(returnTo.path)
        var response = Response.redirect(to: target, status: .seeOther)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
