import Store
import Testing

@Suite struct RowTests {
    private func row(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> Row {
        let connection = try SQLiteConnection(path: ":memory:")
        return try #require(try connection.queryFirst(sql, bindings))
    }

    @Test func readsEveryTypeByIndexAndName() throws {
        let row = try row(
            "SELECT ? AS i, ? AS r, ? AS t, ? AS b, ? AS n, 1 AS yes",
            [.integer(-5), .real(0.25), .text("hi"), .blob([0, 0, 7]), .null]
        )
        #expect(try row.int(0) == -5)
        #expect(try row.int64("i") == -5)
        #expect(try row.double(1) == 0.25)
        #expect(try row.string("t") == "hi")
        #expect(try row.blob(3) == [0, 0, 7])
        #expect(try row.optionalString("n") == nil)
        #expect(try row.optionalInt(4) == nil)
        #expect(try row.optionalBlob("n") == nil)
        #expect(try row.optionalDouble("n") == nil)
        #expect(try row.optionalInt64("n") == nil)
        #expect(try row.optionalBool("n") == nil)
        #expect(try row.optionalString(2) == "hi")
        #expect(try row.bool("yes"))
        #expect(row.columnNames == ["i", "r", "t", "b", "n", "yes"])
        #expect(row[4] == .null)
    }

    @Test func columnNamesAreCaseInsensitive() throws {
        let row = try row("SELECT 3 AS Count")
        #expect(try row.int("count") == 3)
        #expect(try row.int("COUNT") == 3)
    }

    @Test func integersWidenToDouble() throws {
        #expect(try row("SELECT 2").double(0) == 2)
    }

    @Test func typeMismatchNamesColumnAndTypesButNotValue() throws {
        let row = try row("SELECT ? AS secret", [.text("patient-4711")])
        let error = #expect(throws: RowError.self) { try row.int("secret") }
        #expect(error == .typeMismatch(column: "secret", expected: "INTEGER", actual: "TEXT"))
        #expect(error?.description.contains("patient-4711") == false)
        #expect(throws: RowError.typeMismatch(column: "0 (secret)", expected: "BLOB", actual: "TEXT")) { try row.blob(0) }
    }

    @Test func nullIsNotSilentlyAValue() throws {
        let row = try row("SELECT NULL AS missing")
        #expect(throws: RowError.typeMismatch(column: "missing", expected: "TEXT", actual: "NULL")) { try row.string("missing") }
    }

    @Test func boolAcceptsOnlyZeroAndOne() throws {
        let row = try row("SELECT 0, 2")
        #expect(try row.bool(0) == false)
        #expect(throws: RowError.self) { try row.bool(1) }
    }

    @Test func unknownColumnsThrow() throws {
        let row = try row("SELECT 1 AS a")
        #expect(throws: RowError.noSuchColumn(name: "b")) { try row.int("b") }
        #expect(throws: RowError.indexOutOfRange(index: 1, columnCount: 1)) { try row.int(1) }
        #expect(throws: RowError.indexOutOfRange(index: -1, columnCount: 1)) { try row.value(-1) }
    }
}
