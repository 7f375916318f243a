import HTTPTypes

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

    /// The first non-empty value named `name` among the `Cookie` headers' pairs. Read on the bytes: every request
    /// with a session reads it, and splitting the header into strings cost a click 3 µs.
    func value(in fields: HTTPFields) -> String? {
        for header in fields[values: .cookie] {
            var rest = Substring(header).utf8
            while !rest.isEmpty {
                let end = rest.firstIndex(of: UInt8(ascii: ";")) ?? rest.endIndex
                let pair = rest[..<end]
                rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")),
                      Self.trimmed(pair[..<equals]).elementsEqual(name.utf8) else { continue }
                let value = Self.trimmed(pair[pair.index(after: equals)...])
                if !value.isEmpty { return String(Substring(value)) }
            }
        }
        return nil
    }

    /// Without the spaces and tabs around it (RFC 6265 §5.2's whitespace).
    private static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isBlank($0) }), let last = bytes.lastIndex(where: { !isBlank($0) }) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[first...last]
    }
}
