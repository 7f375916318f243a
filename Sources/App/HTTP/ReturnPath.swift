import Foundation

/// A place inside this application to send the browser back to. Only same-origin relative paths
/// pass, so `return_to` can never turn us into an open redirect.
struct ReturnPath: Sendable, Equatable {
    let path: String

    init?(_ candidate: String?) {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 2048,
              candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
              candidate.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return nil }
        // A browser resolves `.` and `..` segments (also written `%2e`) before it asks for the path,
        // so the page it lands on is not the one this text names; refuse them rather than guess.
        let pathPart = candidate.prefix { $0 != "?" && $0 != "#" }
        let segments = pathPart.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !segments.contains(where: { segment in
            let dots = segment.lowercased().replacingOccurrences(of: "%2e", with: ".")
            return dots == "." || dots == ".."
        }) else { return nil }
        path = candidate
    }

    /// The path's segments, without the query and fragment.
    var segments: [Substring] {
        path.prefix { $0 != "?" && $0 != "#" }.split(separator: "/")
    }

    static let home = ReturnPath("/")!
}
