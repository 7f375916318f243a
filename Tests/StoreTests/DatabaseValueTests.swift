import Store
import Testing

@Suite struct SQLiteValueTests {
    @Test func literalsMapToStorageClasses() {
        let values: [DatabaseValue] = [nil, 42, 1.5, "text", true, false]
        #expect(values == [.null, .integer(42), .real(1.5), .text("text"), .integer(1), .integer(0)])
    }

    @Test func optionalInitializersMapNilToNull() {
        let missingText: String? = nil
        let missingNumber: Int? = nil
        #expect(DatabaseValue(missingText) == .null)
        #expect(DatabaseValue(missingNumber) == .null)
        #expect(DatabaseValue(Int64?.none) == .null)
        #expect(DatabaseValue(Double?.none) == .null)
        #expect(DatabaseValue([UInt8]?.none) == .null)
        #expect(DatabaseValue(Bool?.none) == .null)
    }

    @Test func optionalInitializersWrapValues() {
        let name: String? = "alice"
        let count = 7
        #expect(DatabaseValue(name) == .text("alice"))
        #expect(DatabaseValue(count) == .integer(7))
        #expect(DatabaseValue(Int64.min) == .integer(.min))
        #expect(DatabaseValue(2.5) == .real(2.5))
        #expect(DatabaseValue([UInt8]([0, 1])) == .blob([0, 1]))
        #expect(DatabaseValue(true) == .integer(1))
    }

    @Test func typeNamesMatchSQLite() {
        let values: [DatabaseValue] = [.null, .integer(1), .real(1), .text(""), .blob([])]
        #expect(values.map(\.typeName) == ["NULL", "INTEGER", "REAL", "TEXT", "BLOB"])
    }
}
