import Store
import Testing

@Suite struct MigrationErrorTests {
    @Test func descriptionsNameTheProblem() {
        let cases: [(MigrationError, String)] = [
            (.invalidFileName("1_x.sql"),
             "Migration file '1_x.sql' is badly named: expected NNNN_name.sql (4 or more digits, an underscore, then lowercase letters, digits or underscores)"),
            (.duplicateVersion(2, files: ["0002_a.sql", "00002_b.sql"]),
             "Migration version 2 is used by more than one file: 0002_a.sql, 00002_b.sql"),
            (.invalidEncoding("0001_x.sql"), "Migration file '0001_x.sql' is not valid UTF-8"),
            (.unreadableFile("0001_x.sql", reason: "permission denied"), "Cannot read migration file '0001_x.sql': permission denied"),
            (.unreadableDirectory(path: "/nope", reason: "no such directory"), "Cannot read the migrations directory '/nope': no such directory"),
            (.missingFile(version: 3), "Migration 3 is recorded as applied in schema_migrations but its file is missing"),
        ]
        for (error, description) in cases {
            #expect(error.description == description)
        }
    }

    @Test func checksumMismatchTellsTheOperatorWhatToDo() {
        let description = MigrationError.checksumMismatch(version: 1, name: "audit_log").description
        #expect(description.hasPrefix("Migration 1 (audit_log) was changed after it was applied"))
        #expect(description.contains("new migration"))
    }

    @Test func failureIncludesFileStoreMessageAndStatement() {
        #expect(
            MigrationError.failed(fileName: "0002_broken.sql", message: "no such table: x", sql: "INSERT INTO x VALUES (1);").description
                == "Migration '0002_broken.sql' failed and was rolled back: no such table: x — in: INSERT INTO x VALUES (1);"
        )
    }
}
