import HTTPTypes
import Foundation

/// The few cookie rules this application needs, in one place so every cookie gets `HttpOnly`
/// and `Secure` the same way.
struct Cookie {
    enum SameSite: String {
        /// Sent on top-level cross-site navigations: needed where Fullscript sends the browser back to us.
        case lax = "Lax"
        /// Never sent from another site, so no other site can make a signed-in user act.
        case strict = "Strict"
    }

    let name: String
    let sameSite: SameSite
    let secure: Bool

    /// A `Secure` cookie gets the prefix browsers enforce: `__Host-` (Path=/, no Domain) cannot be set
    /// or shadowed by a sibling subdomain or a plain-HTTP page. Every cookie here is Path=/ for that
    /// reason: `__Secure-`, the prefix a narrower path would allow, may be planted by any secure sibling
    /// with `Domain=`, which would defeat a cookie whose job is to say which browser this is.
    init(name: String, sameSite: SameSite, secure: Bool) {
        self.name = secure ? "__Host-" + name : name
        self.sameSite = sameSite
        self.secure = secure
    }

    func setCookie(_ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite.rawValue)" + (secure ? "; Secure" : "")
    }

    var cleared: String { setCookie("", maxAge: 0) }

    func value(in fields: HTTPFields) -> String? {
        for header in fields[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, Self.trimmed(parts[0]) == name {
                    let value = Self.trimmed(parts[1])
                    return value.isEmpty ? nil : String(value)
                }
            }
        }
        return nil
    }

    /// Without the blanks around it. Not Foundation's `trimmingCharacters`: every request with a session
    /// reads the cookie, and that call alone was 2% of a click's CPU.
    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) else {
            return ""
        }
        return text[first...last]
    }
}
