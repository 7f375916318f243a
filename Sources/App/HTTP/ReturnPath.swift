import Foundation

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
        let canonical = Self.decodingUnreserved(candidate)
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

    /// `text` with every `%XX` that encodes an unreserved character (`A-Z a-z 0-9 - . _ ~`) replaced
    /// by that character; other escapes, reserved characters among them, stay as they are.
    static func decodingUnreserved(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var index = 0
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]),
               isUnreserved(high << 4 | low) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        ASCII.isLetterOrDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "~")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
