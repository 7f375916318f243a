/// A place inside this application to send the browser back to. Only same-origin relative paths
/// pass, so `return_to` can never turn us into an open redirect.
struct ReturnPath: Sendable, Equatable {
    let path: String

    init?(_ candidate: String?) {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 2048,
              candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
              candidate.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
        else { return nil }
        path = candidate
    }

    static let home = ReturnPath("/")!
}
