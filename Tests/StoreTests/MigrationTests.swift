import Cryptography
import Foundation
import Store
import Testing

@Suite struct MigrationTests {
    private func write(_ files: [String: String], in directory: URL) throws {
        for (name, contents) in files {
            try Data(contents.utf8).write(to: directory.appendingPathComponent(name))
        }
    }

    @Test func loadsSortedNumericallyAndIgnoresOtherFiles() throws {
        try withTemporaryDirectory { directory in
            try write([
                "0010_ten.sql": "SELECT 10;",
                "0002_two.sql": "SELECT 2;",
                "10000_big.sql": "SELECT 10000;",
                "0001_one.sql": "SELECT 1;",
                "README.md": "not a migration",
                ".DS_Store": "",
                "0003_notes.sql.bak": "ignored",
            ], in: directory)
            let migrations = try Migrations.load(from: directory)
            #expect(migrations.map(\.version) == [1, 2, 10, 10000])
            #expect(migrations.map(\.name) == ["one", "two", "ten", "big"])
            #expect(migrations.map(\.fileName) == ["0001_one.sql", "0002_two.sql", "0010_ten.sql", "10000_big.sql"])
            #expect(migrations[1].sql == "SELECT 2;")
        }
    }

    @Test func checksumIsSHA256OfTheFileBytes() throws {
        try withTemporaryDirectory { directory in
            let contents = "CREATE TABLE t (a INTEGER) STRICT;\n"
            try write(["0001_t.sql": contents], in: directory)
            let migration = try #require(try Migrations.load(fromPath: directory.path).first)
            #expect(migration.checksum == SHA256.hexDigest(Array(contents.utf8)))
            #expect(migration.checksum.count == 64)
            #expect(migration == Migration(version: 1, name: "t", sql: contents))
        }
    }

    @Test(arguments: [
        "1_short.sql", "001_short.sql", "0001-dash.sql", "0001_Upper.sql", "0001_.sql", "0001.sql",
        "abcd_letters.sql", "0001_space name.sql", "0001_x.SQL", "0001_dot.name.sql",
    ])
    func badlyNamedSQLFileIsRejected(fileName: String) throws {
        try withTemporaryDirectory { directory in
            try write(["0001_fine.sql": "SELECT 1;", fileName: "SELECT 1;"], in: directory)
            let error = #expect(throws: MigrationError.self) { try Migrations.load(from: directory) }
            #expect(error == .invalidFileName(fileName))
            #expect(error?.description.contains(fileName) == true)
        }
    }

    @Test func duplicateVersionsAreRejected() throws {
        try withTemporaryDirectory { directory in
            try write(["0002_a.sql": "SELECT 1;", "00002_b.sql": "SELECT 2;"], in: directory)
            let error = #expect(throws: MigrationError.self) { try Migrations.load(from: directory) }
            #expect(error == .duplicateVersion(2, files: ["0002_a.sql", "00002_b.sql"]))
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        try withTemporaryDirectory { directory in
            try Data([0x53, 0xFF, 0xFE]).write(to: directory.appendingPathComponent("0001_bad.sql"))
            #expect(throws: MigrationError.invalidEncoding("0001_bad.sql")) { try Migrations.load(from: directory) }
        }
    }

    @Test func missingDirectoryIsAnError() throws {
        try withTemporaryDirectory { directory in
            let missing = directory.appendingPathComponent("nope")
            let error = #expect(throws: MigrationError.self) { try Migrations.load(from: missing) }
            #expect(error?.description.contains(missing.path) == true)
        }
    }

    @Test func loadsThroughASymlinkedDirectory() throws {
        try withTemporaryDirectory { directory in
            let real = directory.appendingPathComponent("real", isDirectory: true)
            let link = directory.appendingPathComponent("link", isDirectory: true)
            try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
            try write(["0001_one.sql": "SELECT 1;"], in: real)
            #expect(try Migrations.load(from: link).map(\.name) == ["one"])
        }
    }

    @Test func emptyDirectoryHasNoMigrations() throws {
        try withTemporaryDirectory { directory in
            let migrations = try Migrations.load(from: directory)
            #expect(migrations.isEmpty)
        }
    }

    @Test func fileNameDefaultsToFourDigitVersion() {
        #expect(Migration(version: 7, name: "seven", sql: "").fileName == "0007_seven.sql")
        #expect(Migration(version: 12345, name: "big", sql: "").fileName == "12345_big.sql")
    }
}
