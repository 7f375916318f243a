internal import CLibPQ
import Foundation

/// A libpq connection string, a `postgres://` URL or `key=value` pairs, checked
/// by libpq's own parser (so `sslmode`, `sslrootcert`, `passfile` and the rest
/// mean exactly what the libpq documentation says).
///
/// Every textual form redacts the fields libpq marks as secret (`password`,
/// `sslpassword`), so the value can be logged or shown in `doctor` output.
public struct PostgresConnectionString: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The text handed to `PQconnectdb`; never printed.
    let text: String
    /// The password as given, to scrub it from libpq's messages as a last line of defence.
    let secrets: [String]
    public let description: String

    /// libpq's wait for a server without `connect_timeout` in the string: as long as TCP's own, minutes
    /// for a host that drops packets, past any shutdown's grace and any request's patience.
    public static let defaultConnectTimeoutSeconds = 10

    /// Opens a connection (`PQconnectdbParams`): `defaultConnectTimeoutSeconds` first, then the string
    /// expanded as `dbname`, so a `connect_timeout` of its own overrides the default.
    func connect() -> OpaquePointer? {
        "connect_timeout".withCString { timeoutKey in
            "dbname".withCString { stringKey in
                String(Self.defaultConnectTimeoutSeconds).withCString { timeout in
                    text.withCString { string in
                        let keywords: [UnsafePointer<CChar>?] = [timeoutKey, stringKey, nil]
                        let values: [UnsafePointer<CChar>?] = [timeout, string, nil]
                        return PQconnectdbParams(keywords, values, 1)
                    }
                }
            }
        }
    }

    public init(_ text: String) throws(PostgresError) {
        var failure: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &failure) else {
            // libpq's message may quote the whole string, password included.
            PQfreemem(failure)
            throw PostgresError(
                kind: .invalidConnectionString,
                sqlState: nil,
                message: "the PostgreSQL connection string is malformed (not shown: it may hold a password)",
                sql: nil
            )
        }
        defer { PQconninfoFree(options) }
        var fields: [String] = []
        var secrets: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let isSecret = option.pointee.dispchar.map { String(cString: $0) } == "*"
                let shown = isSecret ? "[redacted]" : Self.quoted(String(cString: value))
                if isSecret { secrets.append(String(cString: value)) }
                fields.append("\(String(cString: keyword))=\(shown)")
            }
            option += 1
        }
        self.text = text
        self.secrets = secrets.filter { !$0.isEmpty }
        self.description = fields.joined(separator: " ")
    }

    public var debugDescription: String { description }

    /// `dump` and debuggers show the redacted form, not the stored text.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

    /// `message` with every secret of this string replaced.
    func redacting(_ message: String) -> String {
        secrets.reduce(message) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }

    /// Quotes a value the way libpq's key=value syntax reads it back.
    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return "'\(escaped)'"
    }
}
