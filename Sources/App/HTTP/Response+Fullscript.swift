import Fullscript
import HTTPTypes
import Server

extension Response {
    /// The 302 to a fresh dynamic link: never stored (a link is per click), and the page it opens is not
    /// told where the practitioner came from.
    static func toFullscript(_ link: DynamicLink) -> Response {
        var response = Response.redirect(to: link.redirectURL)
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }
}
