import Foundation
import PostgresStore
import PostgresTesting
import Reactor
import ServerTesting
import Store
import Testing

/// `briefRead` and `briefExecute` on PostgreSQL: a transaction in one round trip, awaited on the caller's event loop
/// (`PostgresLoopConnection`), never handed to a connection's thread.
@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct PostgresBriefTests {
    private func withDatabase<T>(
        perLoop: Int = PostgresDatabase.defaultBriefConnectionsPerLoop,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        _ body: (PostgresDatabase, String) async throws -> T
    ) async throws -> T {
        let database = try PostgresDatabase(
            url: PostgresServer.required.url(), poolSize: 1, briefConnectionsPerLoop: perLoop, statementTimeout: statementTimeout
        )
        defer { database.close() }
        let table = "b_\(UUID().uuidString.prefix(8).lowercased())"
        try await database.write { try $0.execute("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text NOT NULL)") }
        return try await body(database, table)
    }

    /// Runs `body` as a request does: in a task that prefers the loop, on the loop's thread.
    private func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task(executorPreference: loop) { try await body() }.value
    }

    private func names(_ rows: [[Row]]) throws -> [[String]] {
        try rows.map { try $0.map { try $0.string("name") } }
    }

    /// `writes` sent as brief writes on `loop` while a read holds its one connection for `seconds`, so that they wait
    /// for it and go together. Each write's outcome by its key: "inserted N", or what `refused` makes of its error; the
    /// read's (key 0) "slept".
    private func writesBehindARead(
        _ database: PostgresDatabase, on loop: EventLoop, holding seconds: Double, _ writes: [Int: SQLStatement],
        refused: @escaping @Sendable (PostgresError) -> String = { $0.sqlState ?? "no state" }
    ) async throws -> [Int: String] {
        try await onLoop(loop) {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                group.addTask {
                    _ = try await database.briefRead([SQLStatement("SELECT pg_sleep(?)", [.real(seconds)])])
                    return (0, "slept")
                }
                for (key, write) in writes.sorted(by: { $0.key < $1.key }) {
                    group.addTask {
                        do {
                            return (key, "inserted \(try await database.briefExecute(write))")
                        } catch let error as PostgresError {
                            return (key, refused(error))
                        }
                    }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
        }
    }

    @Test func aBriefReadIsOneRoundTripOnTheCallersEventLoop() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        let loop = thread.loop
        try await withDatabase { database, table in
            try await database.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'alice'), (2, 'bob')") }
            let (rows, onTheLoop) = try await onLoop(loop) {
                let rows = try await database.briefRead([
                    SQLStatement("SELECT name FROM \(table) WHERE id = ?", [1]),
                    SQLStatement("SELECT name FROM \(table) WHERE id > ? ORDER BY id", [0]),
                    SQLStatement("SELECT name FROM \(table) WHERE id = ?", [3]),
                ])
                return (rows, loop.inLoop)
            }
            #expect(try names(rows) == [["alice"], ["alice", "bob"], []])
            #expect(onTheLoop)
            #expect(database.briefConnectionCount == 1)
            #expect(database.briefRoundTrips == 1, "BEGIN, three statements prepared and run, and COMMIT: one round trip")
        }
    }

    /// A caller on no event loop (a command, background work): the store's own loop serves it, in one round trip too.
    @Test func aBriefOperationOffAnyLoopIsOneRoundTripToo() async throws {
        try await withDatabase { database, table in
            try await database.briefExecute(SQLStatement("INSERT INTO \(table) VALUES (?, ?)", [1, "alice"]))
            let row = try await database.briefReadFirst(SQLStatement("SELECT name FROM \(table)"))
            #expect(try row?.string("name") == "alice")
            #expect(database.briefRoundTrips == 2)
        }
    }

    @Test func aBriefReadSeesOneSnapshotAndCannotWrite() async throws {
        try await withDatabase { database, table in
            let error = await #expect(throws: PostgresError.self) {
                try await database.briefRead([SQLStatement("INSERT INTO \(table) VALUES (1, 'x')")])
            }
            #expect(error?.sqlState == "25006")
            let isolation = try await database.briefReadFirst(SQLStatement("SHOW transaction_isolation"))?.string(0)
            #expect(isolation == "repeatable read")
            let count = try await database.read { try $0.queryFirst("SELECT count(*) FROM \(table)")?.int(0) }
            #expect(count == 0)
        }
    }

    @Test func aBriefExecuteCommitsAndCountsItsRows() async throws {
        try await withDatabase { database, table in
            let inserted = try await database.briefExecute(SQLStatement("INSERT INTO \(table) VALUES (1, 'a'), (2, 'b')"))
            let updated = try await database.briefExecute(SQLStatement("UPDATE \(table) SET name = ? WHERE id > ?", ["c", 0]))
            #expect(inserted == 2 && updated == 2)
            #expect(database.briefRoundTrips == 2, "each with its BEGIN and COMMIT in one round trip")
            let duplicate = await #expect(throws: PostgresError.self) {
                try await database.briefExecute(SQLStatement("INSERT INTO \(table) VALUES (1, 'again')"))
            }
            #expect(duplicate?.kind == .uniqueViolation)
            let names = try await database.read { try $0.query("SELECT name FROM \(table) ORDER BY id").map { try $0.string(0) } }
            #expect(names == ["c", "c"])
        }
    }

    /// Reads that wait for the loop's one connection go to the server together when it comes: one round trip for
    /// three, each given its own statements' rows.
    @Test func briefReadsWaitingForAConnectionGoTogether() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        let loop = thread.loop
        try await withDatabase(perLoop: 1) { database, table in
            try await database.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'alice'), (2, 'bob'), (3, 'carol')") }
            // The connection opened first: a read that waits for its opening takes those that come meanwhile with it.
            _ = try await onLoop(loop) { try await database.briefRead([SQLStatement("SELECT 1")]) }
            let before = database.briefRoundTrips
            let answers = try await onLoop(loop) {
                try await withThrowingTaskGroup(of: (Int, [[String]]).self) { group in
                    // The first holds the connection while the others come.
                    group.addTask { (0, try self.names(try await database.briefRead([SQLStatement("SELECT 'sleeper' AS name FROM pg_sleep(0.2)")]))) }
                    for id in 1...3 {
                        group.addTask {
                            (id, try self.names(try await database.briefRead([
                                SQLStatement("SELECT name FROM \(table) WHERE id = ?", [.integer(Int64(id))]), SQLStatement("SELECT name FROM \(table) WHERE id > ? ORDER BY id", [.integer(Int64(id))]),
                            ])))
                        }
                    }
                    return try await group.reduce(into: [Int: [[String]]]()) { $0[$1.0] = $1.1 }
                }
            }
            #expect(answers == [0: [["sleeper"]], 1: [["alice"], ["bob", "carol"]], 2: [["bob"], ["carol"]], 3: [["carol"], []]])
            #expect(database.briefRoundTrips - before == 2, "the first read's, and one for the three that waited")
        }
    }

    /// A statement the server refuses rolls back the batch it went in: its caller is given the error, and the others go
    /// together again, so only its own caller fails, and the others' rows are committed once.
    @Test func aWriteRefusedInABatchFailsOnlyItsCaller() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        let loop = thread.loop
        try await withDatabase(perLoop: 1) { database, table in
            try await database.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'alice')") }
            _ = try await onLoop(loop) { try await database.briefRead([SQLStatement("SELECT 1")]) }
            let before = database.briefRoundTrips
            // 3 and 4 insert 1's key again: the table's primary key refuses them.
            let outcomes = try await writesBehindARead(database, on: loop, holding: 0.2, Dictionary(uniqueKeysWithValues: (2...5).map { id in
                (id, SQLStatement("INSERT INTO \(table) VALUES (?, ?)", [.integer([3, 4].contains(id) ? 1 : Int64(id)), .text("n\(id)")]))
            }))
            #expect(outcomes == [0: "slept", 2: "inserted 1", 3: "23505", 4: "23505", 5: "inserted 1"])
            // The sleeper's; the batch's and its ROLLBACK; the three others', and its ROLLBACK; the two left together.
            #expect(database.briefRoundTrips - before == 6, "one at a time would have been 1 + 4 + the refused ones' ROLLBACKs")
            let rows = try await database.read { try $0.query("SELECT id, name FROM \(table) ORDER BY id").map { "\(try $0.int64("id")) \(try $0.string("name"))" } }
            #expect(rows == ["1 alice", "2 n2", "5 n5"])
        }
    }

    /// Refused at `COMMIT` (a constraint checked then), a batch names no caller's statement: each then runs alone, and
    /// only the one whose write the constraint refuses fails.
    @Test func aBatchRefusedAtCommitRunsEachAlone() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        let loop = thread.loop
        try await withDatabase(perLoop: 1) { database, table in
            try await database.write { try $0.execute("ALTER TABLE \(table) ADD UNIQUE (name) DEFERRABLE INITIALLY DEFERRED") }
            try await database.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'taken')") }
            _ = try await onLoop(loop) { try await database.briefRead([SQLStatement("SELECT 1")]) }
            let before = database.briefRoundTrips
            let outcomes = try await writesBehindARead(database, on: loop, holding: 0.2, Dictionary(uniqueKeysWithValues: (2...4).map { id in
                (id, SQLStatement("INSERT INTO \(table) VALUES (?, ?)", [.integer(Int64(id)), .text(id == 3 ? "taken" : "n\(id)")]))
            }))
            #expect(outcomes == [0: "slept", 2: "inserted 1", 3: "23505", 4: "inserted 1"])
            let rows = try await database.read { try $0.query("SELECT id FROM \(table) ORDER BY id").map { try $0.int64("id") } }
            #expect(rows == [1, 2, 4])
            #expect(database.briefRoundTrips - before == 5, "the sleeper's, the batch's, then each of the three alone")
        }
    }

    /// A batch of writes whose connection is lost before its answer: each caller is told so, and none is sent again,
    /// since each may have committed. (Here the server ended the session before the `COMMIT`, so none did.)
    @Test func aBatchOfWritesWhoseConnectionIsLostIsNotSentAgain() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        let loop = thread.loop
        // The server's statement timeout must not end the first insert's sleep before the test ends its session.
        try await withDatabase(perLoop: 1, statementTimeout: .seconds(120)) { database, table in
            let pid = try #require(try await onLoop(loop) {
                try await database.briefReadFirst(SQLStatement("SELECT pg_backend_pid() AS pid"))?.int64("pid")
            })
            async let outcomes = writesBehindARead(database, on: loop, holding: 0.1, Dictionary(uniqueKeysWithValues: (1...3).map { id in
                (id, SQLStatement("INSERT INTO \(table) SELECT ?, 'n' FROM pg_sleep(?)", [.integer(Int64(id)), .real(id == 1 ? 30 : 0)]))
            })) { "\($0.kind)" }
            // The batch is under way once its first insert sleeps on the server: then its session ends.
            let running = SQLStatement("SELECT 1 FROM pg_stat_activity WHERE pid = ? AND state = 'active' AND query LIKE 'INSERT%'", [.integer(pid)])
            #expect(try await eventually(within: .seconds(20)) { try await database.read { try $0.queryFirst(running) } != nil })
            _ = try await database.read { try $0.queryFirst("SELECT pg_terminate_backend(CAST(? AS integer))", [.integer(pid)]) }
            #expect(try await outcomes == [0: "slept", 1: "connectionLost", 2: "connectionLost", 3: "connectionLost"])
            #expect(try await database.read { try $0.queryFirst("SELECT count(*) AS n FROM \(table)")?.int64("n") } == 0, "nothing sent again")
        }
    }

    /// The failed statement's transaction is rolled back, and the connection serves the next read with the statements it
    /// prepared.
    @Test func aFailedBriefReadLeavesItsConnectionUsable() async throws {
        try await withDatabase { database, table in
            try await database.briefExecute(SQLStatement("INSERT INTO \(table) VALUES (1, 'a')"))
            let error = await #expect(throws: PostgresError.self) {
                try await database.briefRead([
                    SQLStatement("SELECT name FROM \(table)"), SQLStatement("SELECT no_such_column FROM \(table)"),
                ])
            }
            #expect(error?.sqlState == "42703")
            for _ in 0..<3 {
                let rows = try await database.briefRead([SQLStatement("SELECT name FROM \(table)"), SQLStatement("SELECT 1 AS one")])
                #expect(try rows[0].first?.string("name") == "a" && rows[1].first?.int("one") == 1)
            }
            #expect(database.briefConnectionCount == 1)
        }
    }

    @Test func theServersStatementTimeoutEndsABriefRead() async throws {
        try await withDatabase(statementTimeout: .milliseconds(200)) { database, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await database.briefRead([SQLStatement("SELECT pg_sleep(30)")])
            }
            #expect(error?.kind == .queryCanceled)
            let after = try await database.briefReadFirst(SQLStatement("SELECT 1"))?.int(0)
            #expect(after == 1)
        }
    }

    /// The server ended the idle connection's session (a restart, an administrator): the next brief read finds it so
    /// before sending anything, and runs on a new one in one round trip, its caller seeing nothing.
    @Test func aBriefReadOnASessionTheServerEndedRunsOnANewOne() async throws {
        try await withDatabase { database, _ in
            let pid = SQLStatement("SELECT pg_backend_pid() AS pid")
            let first = try #require(try await database.briefReadFirst(pid)?.int64("pid"))
            try await terminate(first, on: database)
            let before = database.briefRoundTrips
            let second = try #require(try await database.briefReadFirst(pid)?.int64("pid"))
            #expect(second != first)
            #expect(database.briefRoundTrips == before + 1)
            #expect(database.briefConnectionCount == 1)
        }
    }

    /// A write whose connection broke after it was sent may have committed: it fails, and is not sent again.
    @Test func aBriefWriteWhoseConnectionBrokeIsNotSentAgain() async throws {
        // The server's statement timeout must not end the write first, however slow the machine.
        try await withDatabase(statementTimeout: .seconds(120)) { database, table in
            let pid = try #require(try await database.briefReadFirst(SQLStatement("SELECT pg_backend_pid() AS pid"))?.int64("pid"))
            let write = Task {
                try await database.briefExecute(SQLStatement("INSERT INTO \(table) SELECT 1, 'a' FROM pg_sleep(30)"))
            }
            #expect(try await eventually {
                try await database.read {
                    try $0.queryFirst("SELECT 1 FROM pg_stat_activity WHERE pid = ? AND query LIKE 'INSERT%'", [.integer(pid)])
                } != nil
            })
            let before = database.briefRoundTrips
            try await terminate(pid, on: database)
            let error = await #expect(throws: PostgresError.self) { try await write.value }
            #expect(error?.kind == .connectionLost)
            #expect(database.briefRoundTrips == before, "not sent again")
            let count = try await database.read { try $0.queryFirst("SELECT count(*) FROM \(table)")?.int(0) }
            #expect(count == 0)
        }
    }

    /// An answer larger than one read of the socket: the rest, already there, is read without waiting for an event
    /// that would never come.
    @Test func aLargeAnswerIsReadWhole() async throws {
        try await withDatabase { database, _ in
            for size in [20_000, 200_000, 2_000_000] {
                let text = try await database.briefReadFirst(SQLStatement("SELECT repeat('x', CAST(? AS integer)) AS text", [.integer(Int64(size))]))
                #expect(try text?.string("text").count == size)
            }
        }
    }

    /// Ends a server process and waits until it is gone, its socket closed.
    private func terminate(_ pid: Int64, on database: PostgresDatabase) async throws {
        try await database.write { try $0.execute("SELECT pg_terminate_backend(CAST(? AS integer))", [.integer(pid)]) }
        #expect(try await eventually {
            try await database.read { try $0.queryFirst("SELECT 1 FROM pg_stat_activity WHERE pid = ?", [.integer(pid)]) } == nil
        })
    }

    /// Callers beyond a loop's connections wait for one of them: the loop never holds more than its share.
    @Test(.timeLimit(.minutes(1))) func aLoopsBriefConnectionsAreBounded() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        let loop = thread.loop
        try await withDatabase(perLoop: 2) { database, table in
            try await database.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'a')") }
            // Each too large to share a round trip with another (`BriefBatches.maximumStatements`): they wait for a connection.
            let read = [SQLStatement("SELECT pg_sleep(0.01)")] + Array(repeating: SQLStatement("SELECT name FROM \(table)"), count: PostgresDatabase.briefBatchStatements / 2)
            let names = try await onLoop(loop) {
                try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await database.briefRead(read)[1].first?.string("name") }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            #expect(names == Array(repeating: "a", count: 8))
            #expect(database.briefConnectionCount == 2)
        }
    }

    /// Each loop keeps its own connections, however busy the others are: none is closed to serve another loop.
    @Test func eachLoopKeepsItsOwnConnections() async throws {
        let threads = try [EventLoopThread(), EventLoopThread()]
        defer { threads.forEach { $0.stopAndJoin() } }
        try await withDatabase(perLoop: 1) { database, table in
            try await database.write { try $0.execute("INSERT INTO \(table) VALUES (1, 'a')") }
            let read = SQLStatement("SELECT name, pg_backend_pid() AS pid FROM \(table)")
            var pids: [Int64] = []
            for thread in threads {
                let row = try await onLoop(thread.loop) { try await database.briefReadFirst(read) }
                pids.append(try #require(try row?.int64("pid")))
            }
            let names = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
                for index in 0..<12 {
                    let loop = threads[index % 2].loop
                    group.addTask {
                        try await (index % 2, onLoop(loop) {
                            try await database.briefRead([SQLStatement("SELECT pg_sleep(0.005)"), read])[1].first?.int64("pid")
                        })
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(names.allSatisfy { pids[$0.0] == $0.1 }, "each loop's reads on its one session")
            #expect(database.briefConnectionCount == 2)
        }
    }

    /// Closing the store ends a brief operation still waiting for the server on the store's own loop, rather than
    /// stopping the loop under it, where its caller would wait for ever.
    @Test(.timeLimit(.minutes(1))) func closingEndsBriefWorkStillWaiting() async throws {
        let database = try PostgresDatabase(url: PostgresServer.required.url(), poolSize: 1, statementTimeout: .seconds(120))
        let pid = try #require(try await database.briefReadFirst(SQLStatement("SELECT pg_backend_pid() AS pid"))?.int64("pid"))
        let waiting = Task { try await database.briefRead([SQLStatement("SELECT pg_sleep(60)")]) }
        #expect(try await eventually {
            try await database.read {
                try $0.queryFirst("SELECT 1 FROM pg_stat_activity WHERE pid = ? AND query LIKE '%pg_sleep(60)%'", [.integer(pid)])
            } != nil
        })
        database.close()
        // Its round trip fails as overdue; a read runs once more, and finds the store closed.
        let error = await #expect(throws: PostgresError.self) { try await waiting.value }
        #expect(error?.kind == .closed)
    }

    @Test func aClosedStoreRefusesBriefWork() async throws {
        let database = try PostgresDatabase(url: PostgresServer.required.url(), poolSize: 1, briefConnectionsPerLoop: 1)
        #expect(try await database.briefReadFirst(SQLStatement("SELECT 1"))?.int(0) == 1)
        database.close()
        let error = await #expect(throws: PostgresError.self) {
            try await database.briefReadFirst(SQLStatement("SELECT 1"))
        }
        #expect(error?.kind == .closed)
    }
}
