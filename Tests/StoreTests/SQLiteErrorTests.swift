import Store
import Testing

@Suite struct SQLiteErrorTests {
    @Test func splitsPrimaryAndExtendedCodes() {
        // 2067 is SQLITE_CONSTRAINT_UNIQUE, whose primary code is SQLITE_CONSTRAINT (19).
        let error = SQLiteError(extendedCode: 2067, message: "UNIQUE constraint failed: t.a", sql: "INSERT INTO t(a) VALUES (?)")
        #expect(error.code == 19)
        #expect(error.extendedCode == 2067)
        #expect(error.isConstraintViolation)
        #expect(!error.isBusy)
    }

    @Test func busyAndLockedAreBusy() {
        #expect(SQLiteError(extendedCode: 5, message: "database is locked", sql: nil).isBusy)
        #expect(SQLiteError(extendedCode: 6, message: "database table is locked", sql: nil).isBusy)
        // 517 is SQLITE_BUSY_SNAPSHOT.
        #expect(SQLiteError(extendedCode: 517, message: "database is locked", sql: nil).isBusy)
    }

    @Test func descriptionHasCodesMessageAndSQL() {
        let error = SQLiteError(extendedCode: 2067, message: "UNIQUE constraint failed: t.a", sql: "INSERT INTO t(a) VALUES (?)")
        #expect(error.description == "SQLite error 19 (constraint failed, extended code 2067): UNIQUE constraint failed: t.a — SQL: INSERT INTO t(a) VALUES (?)")
    }

    @Test func descriptionWithoutSQL() {
        let error = SQLiteError(extendedCode: 14, message: "unable to open database file", sql: nil)
        #expect(error.description == "SQLite error 14 (unable to open database file): unable to open database file")
    }
}
