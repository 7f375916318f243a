import HTTPTypes
import Server

/// A click without a session, on any of its pages: the demo sends a browser to its sign-in page,
/// which comes back to the same address; otherwise (production, or a program) the refusal.
struct SignInFirst: Sendable {
    /// The demo's sign-in page; nil in production.
    let signInPath: String?

    func response(returningTo here: String, format: ReplyFormat, to request: Request) -> Response {
        if let signInPath, format == .html {
            return .redirect(to: signInPath + "?return_to=" + FormURLEncoding.escape(here), status: .seeOther)
        }
        return Refusal.notSignedIn.response(format, to: request)
    }
}
