public import Store

/// How a SQLite value becomes a value of the PostgreSQL column it is copied into, chosen by that
/// column's type (`information_schema.columns.data_type`). The two schemas hold the same data under
/// each store's own names for it (Migrations/postgres/0020_baseline.sql); a value that fits no
/// PostgreSQL spelling is refused rather than guessed at.
///
/// Values travel as `PostgresParameters` binds them: integers and reals binary, blobs as `bytea`, text
/// untyped, so the server parses it for the column as it parses the app's own statements.
public enum ColumnConversion: Sendable, Equatable {
    /// smallint, integer, bigint: SQLite's 64-bit INTEGER; a narrower column refuses what it cannot hold.
    case integer
    /// boolean: SQLite has none, and stores 0 and 1.
    case boolean
    /// real, double precision, numeric: SQLite's REAL, or an INTEGER a REAL column kept as one.
    case number
    /// bytea: a BLOB, byte for byte (sealed tokens stay sealed under the same key).
    case bytes
    /// text, character varying, character: TEXT, which in SQLite may hold NUL and in PostgreSQL may not.
    case text
    /// Every other type (timestamptz, jsonb, uuid, date…): TEXT the server parses, as it would the app's.
    case parsedText

    public init(postgresType: String) {
        switch postgresType {
        case "smallint", "integer", "bigint": self = .integer
        case "boolean": self = .boolean
        case "real", "double precision", "numeric": self = .number
        case "bytea": self = .bytes
        case "text", "character varying", "character": self = .text
        default: self = .parsedText
        }
    }

    /// The value to bind for the column, or nil when `value` cannot be stored in it.
    public func convert(_ value: DatabaseValue) -> DatabaseValue? {
        switch (self, value) {
        case (_, .null):
            // NOT NULL is the target's own constraint to enforce.
            .null
        case (.integer, .integer), (.number, .integer), (.number, .real), (.bytes, .blob):
            value
        case (.boolean, .integer(0)):
            .text("false")
        case (.boolean, .integer(1)):
            .text("true")
        case let (.text, .text(text)) where !text.utf8.contains(0), let (.parsedText, .text(text)) where !text.utf8.contains(0):
            // Bound as text, a NUL would end the value early: the copy would silently shorten it.
            value
        default:
            nil
        }
    }

    /// What `value` is, for a refusal that must not show the value itself (a token, a patient's name).
    public func kind(of value: DatabaseValue) -> String {
        switch (self, value) {
        case (.boolean, .integer): "INTEGER other than 0 or 1"
        case let (_, .text(text)) where text.utf8.contains(0): "TEXT with a NUL character"
        default: value.typeName
        }
    }
}
