/// uri-host [ ":" port ] (RFC 3986 §3.2.2–3.2.3), the syntax of Host (RFC 9110 §7.2) and of the
/// authority in absolute-form and authority-form targets. userinfo is refused: RFC 9110 §4.2.4
/// deprecates it in http(s) URIs and it is a favourite for disguising the real host.
enum Authority {
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>, requiresPort: Bool) -> Bool {
        var index = 0
        if bytes.first == UInt8(ascii: "[") {
            // IP-literal; the address itself is left to whoever connects to it.
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            for byte in bytes[1..<close] where !(HTTPSyntax.isHostChar(byte) || byte == HTTPSyntax.colon) {
                return false
            }
            index = close + 1
        } else {
            while index < bytes.count, bytes[index] != HTTPSyntax.colon {
                if bytes[index] == UInt8(ascii: "%") {
                    guard index + 2 < bytes.count, HTTPSyntax.hexValue(bytes[index + 1]) != nil,
                        HTTPSyntax.hexValue(bytes[index + 2]) != nil
                    else { return false }
                    index += 3
                } else {
                    guard HTTPSyntax.isHostChar(bytes[index]) else { return false }
                    index += 1
                }
            }
            // An empty host is invalid in http(s) URIs (RFC 9110 §4.2.1).
            guard index > 0 else { return false }
        }
        guard index < bytes.count else { return !requiresPort }
        guard bytes[index] == HTTPSyntax.colon else { return false }
        let port = bytes[(index + 1)...]
        return !(requiresPort && port.isEmpty) && port.allSatisfy(HTTPSyntax.isDigit)
    }
}
