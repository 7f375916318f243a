import Store
import Testing

@Suite struct SQLiteValueTests {
    @Test func literalsMapToStorageClasses() {
        let values: [SQLiteValue] = [nil, 42, 1.5, "text", true, false]
        #expect(values == [.null, .integer(42), .real(1.5), .text("text"), .integer(1), .integer(0)])
    }

    @Test func optionalInitializersMapNilToNull() {
        let missingText: String? = nil
        let missingNumber: Int? = nil
        #expect(SQLiteValue(missingText) == .null)
        #expect(SQLiteValue(missingNumber) == .null)
        #expect(SQLiteValue(Int64?.none) == .null)
        #expect(SQLiteValue(Double?.none) == .null)
        #expect(SQLiteValue([UInt8]?.none) == .null)
        #expect(SQLiteValue(Bool?.none) == .null)
    }

    @Test func optionalInitializersWrapValues() {
        let name: String? = "alice"
        let count = 7
        #expect(SQLiteValue(name) == .text("alice"))
        #expect(SQLiteValue(count) == .integer(7))
        #expect(SQLiteValue(Int64.min) == .integer(.min))
        #expect(SQLiteValue(2.5) == .real(2.5))
        #expect(SQLiteValue([UInt8]([0, 1])) == .blob([0, 1]))
        #expect(SQLiteValue(true) == .integer(1))
    }

    @Test func typeNamesMatchSQLite() {
        let values: [SQLiteValue] = [.null, .integer(1), .real(1), .text(""), .blob([])]
        #expect(values.map(\.typeName) == ["NULL", "INTEGER", "REAL", "TEXT", "BLOB"])
    }
}
