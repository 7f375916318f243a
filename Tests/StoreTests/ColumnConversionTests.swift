import PostgresStore
import Store
import Testing

/// What each PostgreSQL column type takes from SQLite, and what it refuses.
struct ColumnConversionTests {
    @Test func typesMapToTheirConversion() {
        let expected: [String: ColumnConversion] = [
            "bigint": .integer, "integer": .integer, "smallint": .integer, "boolean": .boolean,
            "double precision": .number, "real": .number, "numeric": .number, "bytea": .bytes,
            "text": .text, "character varying": .text, "character": .text,
            "timestamp with time zone": .parsedText, "jsonb": .parsedText, "uuid": .parsedText,
        ]
        for (type, conversion) in expected {
            #expect(ColumnConversion(postgresType: type) == conversion, "\(type)")
        }
    }

    @Test func valuesThatFitAreBoundAsTheColumnReadsThem() {
        let fits: [(ColumnConversion, DatabaseValue, DatabaseValue)] = [
            (.integer, .integer(.max), .integer(.max)),
            (.boolean, 0, "false"),
            (.boolean, 1, "true"),
            (.number, .real(2.5), .real(2.5)),
            (.number, 3, 3),
            (.bytes, .blob([0, 0xff]), .blob([0, 0xff])),
            (.text, "", ""),
            (.parsedText, "2024-05-02T10:00:00.000Z", "2024-05-02T10:00:00.000Z"),
        ]
        for (conversion, value, bound) in fits {
            #expect(conversion.convert(value) == bound, "\(conversion) \(value)")
        }
        for conversion in [ColumnConversion.integer, .boolean, .number, .bytes, .text, .parsedText] {
            #expect(conversion.convert(.null) == .null)
        }
    }

    @Test func valuesThatDoNotFitAreRefusedByKind() {
        let misfits: [(ColumnConversion, DatabaseValue, String)] = [
            (.integer, "12", "TEXT"),
            (.integer, .real(1.5), "REAL"),
            (.boolean, 2, "INTEGER other than 0 or 1"),
            (.boolean, "true", "TEXT"),
            (.number, "1.5", "TEXT"),
            (.bytes, "token", "TEXT"),
            (.text, .blob([1]), "BLOB"),
            (.text, 7, "INTEGER"),
            (.text, "a\u{0}b", "TEXT with a NUL character"),
            (.parsedText, "a\u{0}b", "TEXT with a NUL character"),
        ]
        for (conversion, value, kind) in misfits {
            #expect(conversion.convert(value) == nil, "\(conversion) \(value)")
            #expect(conversion.kind(of: value) == kind)
        }
    }
}
