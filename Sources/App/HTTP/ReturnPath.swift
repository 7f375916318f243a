import Foundation
import Server

/// A place inside this application to send the browser back to. Only same-origin relative paths
/// pass, so `return_to` can never turn us into an open redirect.
struct ReturnPath: Sendable, Equatable {
    /// The path as the browser will ask for it: percent-encoded unreserved characters decoded.
    let path: String

    init?(_ candidate: String?) {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 2048,
              candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
              candidate.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return nil }
        // RFC 3986 §6.2.2.2: `%6F` and `o` are the same URI, and browsers (Chromium) decode such escapes
        // before they ask for the path. Every rule below reads the path as the browser will, so
        // `/%6Fauth/…` is `/oauth/…` to them as it is to the browser.
        let canonical = PercentDecoding.decodingUnreserved(candidate)
        // A browser resolves `.` and `..` segments before it asks for the path, so the page it lands
        // on is not the one this text names; refuse them rather than guess.
        let pathPart = canonical.prefix { $0 != "?" && $0 != "#" }
        let segments = pathPart.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        path = canonical
    }

    /// The path's segments, without the query and fragment.
    var segments: [Substring] {
        path.prefix { $0 != "?" && $0 != "#" }.split(separator: "/")
    }

    static let home = ReturnPath("/")!
}
