/// The one rule for a phone number Fullscript accepts, used by our patients API and by the client
/// before it calls: `+`, then 7 to 15 digits, the first not 0 (no country code starts with 0).
public enum E164 {
    public static func isValid(_ text: String) -> Bool {
        let digits = text.utf8.dropFirst()
        return text.utf8.first == UInt8(ascii: "+") && (7...15).contains(digits.count)
            && digits.first != UInt8(ascii: "0") && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
