import Foundation
import Store
import Testing

/// `TableChanges`: every process's commits, counted by table in the file beside the database. Two `Database`s
/// on one file stand for two processes: each maps the counts on its own, as another process would.
@Suite struct TableChangesTests {
    private func withTwoDatabases(_ body: (Database, Database) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("app.sqlite")
            let server = try Database(path: path)
            defer { server.close() }
            try await server.write { try $0.executeScript("CREATE TABLE alpha (a INTEGER); CREATE TABLE beta (b INTEGER)") }
            let other = try Database(path: path)
            defer { other.close() }
            try await body(server, other)
        }
    }

    @Test func aCommitOfAnotherProcessMovesTheVersionOfTheTablesItChangedOnceItLands() async throws {
        try await withTwoDatabases { server, other in
            let changes = try #require(server.tableChanges)
            let alpha = changes.tables(["alpha"])
            let beta = changes.tables(["beta"])
            let (alphaBefore, betaBefore) = (changes.version(of: alpha), changes.version(of: beta))
            try await other.write { connection in
                try connection.execute("INSERT INTO alpha VALUES (1)")
                #expect(changes.version(of: alpha) == alphaBefore, "not before the commit: a reader would find the old row")
            }
            #expect(changes.version(of: alpha) > alphaBefore)
            #expect(changes.version(of: beta) == betaBefore, "another table's version stands still")

            let alphaNow = changes.version(of: alpha)
            try await other.write { try $0.execute("UPDATE beta SET b = 2") }
            #expect(changes.version(of: beta) == betaBefore, "a statement that changed no row is not counted")
            try await other.write { try $0.execute("INSERT INTO beta VALUES (1)") }
            #expect(changes.version(of: beta) > betaBefore)
            #expect(changes.version(of: alpha) == alphaNow)
        }
    }

    @Test func theProcessOwnWritesScriptsAndStatementsOutsideATransactionAreCountedToo() async throws {
        try await withTwoDatabases { server, other in
            let changes = try #require(other.tableChanges)
            let alpha = changes.tables(["alpha"])
            var version = changes.version(of: alpha)
            try await server.write { try $0.execute("DELETE FROM alpha") }
            #expect(changes.version(of: alpha) == version, "nothing deleted, nothing counted")
            try await server.write { try $0.execute("INSERT INTO alpha VALUES (1)") }
            #expect(changes.version(of: alpha) > version)
            version = changes.version(of: alpha)
            try await server.write { try $0.executeScript("INSERT INTO beta VALUES (1); DELETE FROM alpha") }
            #expect(changes.version(of: alpha) > version, "a script's statements")
            version = changes.version(of: alpha)
            let connection = try SQLiteConnection(path: server.path)
            try connection.countChanges(in: try #require(server.tableChanges))
            try connection.execute("INSERT INTO alpha VALUES (2)")
            #expect(changes.version(of: alpha) > version, "a statement in autocommit mode")
        }
    }

    @Test func theCountsAreTheOwnersAlone() async throws {
        try await withTwoDatabases { server, _ in
            var status = stat()
            #expect(stat(server.path + TableChanges.suffix, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o600)
        }
    }

    @Test func aHardLinkInPlaceOfTheCountsIsRefusedAndLeftAsItWas() throws {
        try withTemporaryDirectory { directory in
            let victim = directory.file("victim.conf")
            try Data(repeating: 0x41, count: 1024).write(to: URL(fileURLWithPath: victim))
            #expect(link(victim, directory.file("app.sqlite") + TableChanges.suffix) == 0)
            #expect(throws: SQLiteError.self) { try Database(path: directory.file("app.sqlite")) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == Data(repeating: 0x41, count: 1024))
        }
    }

    @Test func countsLeftUnwritableByAnEarlierRunAreMadeTheServersAgain() async throws {
        try await withTemporaryDirectory { directory in
            let counts = directory.file("app.sqlite") + TableChanges.suffix
            #expect(FileManager.default.createFile(atPath: counts, contents: nil, attributes: [.posixPermissions: 0o400]))
            let database = try Database(path: directory.file("app.sqlite"))
            defer { database.close() }
            try await database.write { try $0.executeScript("CREATE TABLE alpha (a INTEGER); INSERT INTO alpha VALUES (1)") }
            var status = stat()
            #expect(stat(counts, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o600)
            #expect(status.st_size == TableChanges.slotCount * 8, "its space reserved")
        }
    }

    /// A path through a symbolic link is the same file to SQLite, and so to the counts.
    @Test func aDatabaseOpenedThroughALinkSharesTheCounts() async throws {
        try await withTemporaryDirectory { directory in
            let real = try Database(path: directory.file("real.sqlite"))
            defer { real.close() }
            try await real.write { try $0.execute("CREATE TABLE alpha (a INTEGER)") }
            #expect(symlink(directory.file("real.sqlite"), directory.file("alias.sqlite")) == 0)
            let alias = try Database(path: directory.file("alias.sqlite"))
            defer { alias.close() }
            let changes = try #require(real.tableChanges)
            let before = changes.version(of: changes.tables(["alpha"]))
            try await alias.write { try $0.execute("INSERT INTO alpha VALUES (1)") }
            #expect(changes.version(of: changes.tables(["alpha"])) > before)
        }
    }
}
