import Foundation
/// `apiBaseURL` split into the parts `HTTPRequest` wants. Parsed by hand: the module needs only
/// `scheme://authority/prefix`, and Foundation's URL would accept relative strings silently.
struct BaseURL: Sendable, Equatable {
    var scheme: String
    var authority: String
    /// The path every request starts with, without a trailing slash (`/api`, or empty).
    var pathPrefix: String

    init?(_ text: String) {
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { return nil }
        let rest = text[separator.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        guard !authority.isEmpty else { return nil }
        var prefix = String(rest[slash...])
        while prefix.hasSuffix("/") { prefix.removeLast() }
        self.scheme = scheme
        self.authority = authority
        self.pathPrefix = prefix
    }
}
