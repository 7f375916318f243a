import Foundation
import PostgresStore
import Store
import PostgresTesting
import Testing

@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct PostgresDatabaseTests {
    private struct Abort: Error, Equatable {}

    private func withDatabase<T>(poolSize: Int = 2, _ body: (PostgresDatabase) async throws -> T) async throws -> T {
        let database = try PostgresDatabase(url: PostgresServer.required.url(), poolSize: poolSize)
        defer { database.close() }
        return try await body(database)
    }

    /// A table of the test's own: the suite's tests share one server and run in parallel.
    private func makeTable(_ database: PostgresDatabase) async throws -> String {
        let table = "t_\(UUID().uuidString.prefix(8).lowercased())"
        try await database.write { try $0.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text NOT NULL)") }
        return table
    }

    @Test func writeThenRead() async throws {
        try await withDatabase { db in
            let table = try await makeTable(db)
            try await db.write { try $0.execute("INSERT INTO \(table) VALUES ($1, $2)", [1, "alice"]) }
            #expect(try await db.read { try $0.queryFirst("SELECT name FROM \(table) WHERE id = $1", [1])?.string(0) } == "alice")
        }
    }

    @Test func writeIsATransaction() async throws {
        try await withDatabase { db in
            let table = try await makeTable(db)
            await #expect(throws: Abort()) {
                try await db.write { connection in
                    try connection.execute("INSERT INTO \(table) VALUES (1, 'a')")
                    throw Abort()
                }
            }
            #expect(try await db.read { try $0.queryFirst("SELECT count(*) FROM \(table)")?.int(0) } == 0)
        }
    }

    @Test func readsCannotWrite() async throws {
        try await withDatabase { db in
            let table = try await makeTable(db)
            let error = await #expect(throws: PostgresError.self) {
                try await db.read { try $0.execute("INSERT INTO \(table) VALUES (1, 'a')") }
            }
            #expect(error?.sqlState == "25006") // read_only_sql_transaction
        }
    }

    @Test func thePoolIsBounded() async throws {
        try await withDatabase(poolSize: 2) { db in
            let serverProcesses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await db.read { try $0.queryFirst("SELECT pg_backend_pid() FROM pg_sleep(0.01)")!.int(0) } }
                }
                return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
            }
            #expect(serverProcesses.count <= 2)
        }
    }

    @Test func serializableConflictIsTyped() async throws {
        try await withDatabase(poolSize: 2) { db in
            let table = try await makeTable(db)
            try await db.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'a'), (2, 'b')") }
            let bothRead = DispatchGroup()
            bothRead.enter()
            bothRead.enter()
            // Write skew: each reads the row the other writes, then both try to commit.
            let outcomes = await withTaskGroup(of: PostgresError.Kind?.self) { group in
                for (mine, theirs) in [(1, 2), (2, 1)] {
                    group.addTask {
                        do {
                            try await db.write(.serializable) { connection in
                                _ = try connection.queryFirst("SELECT name FROM \(table) WHERE id = $1", [.integer(Int64(theirs))])
                                bothRead.leave()
                                bothRead.wait()
                                try connection.execute("UPDATE \(table) SET name = 'x' WHERE id = $1", [.integer(Int64(mine))])
                            }
                            return nil
                        } catch let error as PostgresError {
                            return error.kind
                        } catch {
                            return .other
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.contains(nil))
            #expect(outcomes.contains(.serializationFailure))
        }
    }
}

/// A server of its own: restarting it would disconnect the other suites' tests.
@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct PostgresRestartTests {
    @Test func connectionsRecoverAfterTheServerRestarts() async throws {
        let server = try PostgresServer.required
        let database = try PostgresDatabase(url: server.url(), poolSize: 2)
        defer { database.close() }
        let connection = try PostgresConnection(url: server.url())
        try await database.write { try $0.execute("CREATE TABLE t (a bigint)") }
        let before = connection.serverProcessID

        try await offPool { try server.restart() }

        // The pool's idle connections reconnect at their next BEGIN: the caller sees nothing.
        try await database.write { try $0.execute("INSERT INTO t VALUES (1)") }
        #expect(try await database.read { try $0.queryFirst("SELECT count(*) FROM t")?.int(0) } == 1)

        // A bare statement on a dropped connection reports the loss once, then reconnects.
        let error = try #require(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(error.kind == .connectionLost)
        #expect(error.isUnavailable)
        #expect(try connection.queryFirst("SELECT current_setting('statement_timeout')")?.string(0) == "5s")
        #expect(connection.serverProcessID != before)
    }
}
