import Foundation
import Locking
import PostgresStore
import PostgresTesting
import Store
import Testing

/// `SQLDatabase.withLock`: one holder of a name among every store opened on the same data, as replicas
/// open theirs; on PostgreSQL also across processes (each store here is sessions of its own, as a
/// replica's pool is), with a bounded wait and nothing left held by a holder that died.
@Suite(.enabled(if: PostgresServer.binDirectory != nil, Comment(rawValue: PostgresServer.missingMessage)), .postgresServer)
struct StoreLockTests {
    /// Two stores on the same data, as two replicas have.
    private func withTwoStores(_ dialect: SQLDialect, _ body: (any SQLDatabase, any SQLDatabase) async throws -> Void) async throws {
        switch dialect {
        case .sqlite:
            try await withTemporaryDirectory { directory in
                let first = try Database(path: directory.file("store.sqlite"))
                defer { first.close() }
                let second = try Database(path: directory.file("store.sqlite"))
                defer { second.close() }
                try await body(first, second)
            }
        case .postgres:
            let url = try PostgresServer.required.url()
            let first = try PostgresDatabase(url: url, poolSize: 1)
            defer { first.close() }
            let second = try PostgresDatabase(url: url, poolSize: 1)
            defer { second.close() }
            try await body(first, second)
        }
    }

    @Test(arguments: SQLDialect.allCases)
    func aNameHeldByOneStoreIsNotAvailableToAnother(_ dialect: SQLDialect) async throws {
        try await withTwoStores(dialect) { first, second in
            let name = "lock-\(UUID().uuidString)"
            let whileHeld = try await first.withLock(named: name, waitingAtMost: .seconds(5)) {
                // The holder's body may use its store: the lock holds no connection (the pool here is one).
                _ = try await first.read { try $0.queryFirst("SELECT 1 AS one") }
                return try await second.withLockIfAvailable(named: name) { "taken alongside" }
            }
            #expect(whileHeld == nil)
            #expect(try await second.withLockIfAvailable(named: name) { "taken after" } == "taken after")
            #expect(try await first.withLockIfAvailable(named: "another-\(name)") { "another name" } == "another name")
        }
    }

    @Test(arguments: SQLDialect.allCases)
    func waitersRunOneAtATime(_ dialect: SQLDialect) async throws {
        try await withTwoStores(dialect) { first, second in
            let name = "lock-\(UUID().uuidString)"
            let inside = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in [first, second, first, second] {
                    group.addTask {
                        try await store.withLock(named: name, waitingAtMost: .seconds(10)) {
                            #expect(inside.enter() == 1)
                            try await Task.sleep(for: .milliseconds(20))
                            inside.leave()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(inside.entries == 4)
        }
    }

    @Test func aWaiterGivesUpAfterItsTimeoutAsABusyStore() async throws {
        try await withTwoStores(.postgres) { first, second in
            let name = "lock-\(UUID().uuidString)"
            try await first.withLock(named: name, waitingAtMost: .seconds(5)) {
                let started = ContinuousClock.now
                let error = await #expect(throws: PostgresError.self) {
                    try await second.withLock(named: name, waitingAtMost: .milliseconds(200)) {}
                }
                #expect(error?.kind == .lockTimeout)
                #expect(error?.unavailability == .busy)
                #expect(ContinuousClock.now - started < .seconds(4))
            }
            // The waiter's timeout was its transaction's only: its connection still works, with its usual timeout.
            #expect(try await second.read { try $0.queryFirst("SELECT current_setting('lock_timeout') AS wait")?.string("wait") } == "0")
        }
    }

    @Test func aHolderWhoseSessionEndsLetsGo() async throws {
        let url = try PostgresServer.required.url()
        let survivor = try PostgresDatabase(url: url, poolSize: 1)
        defer { survivor.close() }
        let name = "lock-\(UUID().uuidString)"
        let holder = try PostgresDatabase(url: url, poolSize: 1)
        // A replica killed while holding: its sessions end without a release.
        let taken = try await holder.withLock(named: name, waitingAtMost: .seconds(5)) {
            holder.close()
            return try await survivor.withLock(named: name, waitingAtMost: .seconds(5)) { "taken from a closed holder" }
        }
        #expect(taken == "taken from a closed holder")
    }

    /// A release that fails on a session still alive (a timeout, a refusal) must not leave the lock with that
    /// session, which lives on in the pool: every other replica would wait for it until the connection closed.
    /// Here the holder's session finds a `pg_advisory_unlock` of its own first on its search path, which refuses.
    @Test func aReleaseThatFailsOnALiveSessionStillLetsGo() async throws {
        try await withTwoStores(.postgres) { holder, other in
            let name = "lock-\(UUID().uuidString)"
            let schema = try await holder.withLock(named: name, waitingAtMost: .seconds(5)) {
                // The pool is one connection: the session holding the lock is the one refusing.
                try await Self.refuseUnlocks(on: holder)
            }
            #expect(try await other.withLockIfAvailable(named: name) { "taken" } == "taken")
            // The holder's store goes on working, on a session of its own default settings.
            #expect(try await holder.read { try $0.queryFirst("SELECT current_setting('search_path') AS path")?.string("path") } == "\"$user\", public")
            try await other.write { try $0.execute("DROP SCHEMA \(schema) CASCADE") }
        }
    }

    /// The new session that lets a failed release go also ends every other lock of the session. Another name
    /// held on the same pooled connection keeps its lock while its holder is inside; the last release starts it.
    @Test func aFailedReleaseLeavesAnotherNameOnTheSameSessionHeldUntilItsHolderIsDone() async throws {
        try await withTwoStores(.postgres) { holder, other in
            let (first, second) = ("lock-\(UUID().uuidString)", "lock-\(UUID().uuidString)")
            let schema = try await Self.refuseUnlocks(on: holder)
            try await holder.withLock(named: second, waitingAtMost: .seconds(5)) {
                // The pool is one connection: both names are held by its one session.
                try await holder.withLock(named: first, waitingAtMost: .seconds(5)) {}
                #expect(try await other.withLockIfAvailable(named: second) { "taken" } == nil, "taken while its holder was inside")
            }
            #expect(try await other.withLockIfAvailable(named: first) { "taken" } == "taken")
            #expect(try await other.withLockIfAvailable(named: second) { "taken" } == "taken")
            try await other.write { try $0.execute("DROP SCHEMA \(schema) CASCADE") }
        }
    }

    /// Makes `store`'s one session find a `pg_advisory_unlock` of its own first on its search path, which refuses
    /// (not in `pg_temp`: functions are never looked up there). The schema's name, to drop.
    private static func refuseUnlocks(on store: any SQLDatabase) async throws -> String {
        let schema = "refusing_\(UUID().uuidString.prefix(8).lowercased())"
        try await store.write { connection in
            try connection.execute("CREATE SCHEMA \(schema)")
            try connection.execute("""
                CREATE FUNCTION \(schema).pg_advisory_unlock(bigint) RETURNS boolean
                LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'unlock refused'; END $$
                """)
            try connection.execute("SET search_path = \(schema), pg_catalog")
        }
        return schema
    }
}

/// How many are inside at once, and how many went in.
private final class Counter: Sendable {
    private let state = PThreadMutex((inside: 0, entries: 0))

    func enter() -> Int {
        state.withLock { state in
            state.inside += 1
            state.entries += 1
            return state.inside
        }
    }

    func leave() {
        state.withLock { $0.inside -= 1 }
    }

    var entries: Int { state.withLock { $0.entries } }
}
