/// Byte classes for text we accept only in plain ASCII: ids and names that end up unescaped in
/// URLs, logs and audit rows, and the digits of dates and phone numbers.
enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// 1 to `maxLength` letters, digits and `marks`.
    static func isPlainIdentifier(_ text: String, maxLength: Int, marks: String) -> Bool {
        (1...maxLength).contains(text.utf8.count) && text.utf8.allSatisfy { isLetterOrDigit($0) || marks.utf8.contains($0) }
    }
}
