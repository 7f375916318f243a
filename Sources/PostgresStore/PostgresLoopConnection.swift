internal import CLibPQ
import CLinux
import Foundation
import Glibc
import Reactor
import Store
import Synchronization

/// A PostgreSQL connection whose round trips are awaited on an event loop: its socket is in the loop's epoll, and the
/// task waiting for an answer resumes there when it comes. A blocking `PostgresConnection` makes a thread sleep in
/// `poll` for every round trip and hands each transaction to that thread and back; on a server's loop, whose thread has
/// other requests to serve meanwhile, neither happens.
///
/// Always in libpq's non-blocking pipeline mode: a transaction's `BEGIN`, its statements (each prepared in the same
/// pipeline on a cache miss) and its `COMMIT` go to the server together, one round trip. Used by one task at a time,
/// on the loop it was opened on (`PostgresLoopConnections`); an idle one is touched by nothing on its loop but `tick`,
/// which reads only `waiter`, so any thread may close it.
final class PostgresLoopConnection: EventLoopSource {
    private let connectionString: PostgresConnectionString
    /// How long a round trip may go unanswered before the connection is given up: the server's statement timeout,
    /// with time to say so (5 s when the statement timeout is off: a brief operation is a few rows by key).
    private let answerTimeout: UInt64
    /// The server's statement timeout: what each more caller's statements in a transaction (`BriefBatches`) may add to
    /// `answerTimeout`, up to as much again.
    private let statementTimeout: UInt64
    private var handle: OpaquePointer?
    private var cache: StatementCache<String>
    private var preparedCount = 0
    /// Where the connection is watched.
    private var watch: (loop: EventLoop, registration: Registration)?
    private var waiter: CheckedContinuation<Void, any Error>?
    private var deadline: UInt64 = 0
    /// Its pool's: whether the pool is closed, and the round trips counted.
    private let pool: PoolSignals

    /// Takes over `connection`'s session (connected, its settings made).
    init(taking connection: PostgresConnection, statementCacheCapacity: Int, pool: PoolSignals) throws {
        self.pool = pool
        connectionString = connection.connectionString
        answerTimeout = UInt64(PostgresConnection.milliseconds(connection.statementTimeout) + 5_000) * 1_000_000
        statementTimeout = UInt64(PostgresConnection.milliseconds(connection.statementTimeout)) * 1_000_000
        cache = StatementCache(capacity: statementCacheCapacity)
        handle = connection.takeHandle()
        guard let handle, PQsetnonblocking(handle, 1) == 0, PQenterPipelineMode(handle) == 1 else {
            throw PostgresConnection.error(from: nil, handle: handle, connectionString: connectionString, sql: nil)
        }
    }

    deinit {
        PQfinish(handle)
    }

    /// Whether the connection may serve another transaction: open, and not found broken.
    var isUsable: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Whether an idle connection can take a transaction: usable, and nothing came from the server since its last
    /// answer. What comes unasked is the server ending the session (a restart, a failover, `pg_terminate_backend`) and
    /// then the end of the stream, so such a connection is given up before anything is sent on it: a transaction is
    /// never sent twice, and never waits on a session that is gone.
    var isQuiet: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        var ready = poll(&descriptor, 1, 0)
        while ready < 0, errno == EINTR { ready = poll(&descriptor, 1, 0) }
        return ready == 0
    }

    /// Ends the session. Only while not checked out, or by its holder. Off its loop, the descriptor leaves the loop's
    /// epoll as it closes, and the loop forgets the registration at its next turn (a stale one never reaches a socket
    /// that reuses the number: `Registration`).
    func close() {
        if let watch {
            if watch.loop.inLoop {
                watch.loop.unregister(watch.registration)
            } else {
                let registration = watch.registration
                watch.loop.execute { [weak loop = watch.loop] in loop?.unregister(registration) }
            }
            self.watch = nil
        }
        PQfinish(handle)
        handle = nil
    }

    // MARK: Checked out on a loop

    /// Watches the socket on `loop`, for good: edge-triggered, so that what an idle connection receives (the server's
    /// notice that it ends the session) is one event, which `handle` passes over, and not an event on every turn of the
    /// loop; `isQuiet` finds it before the next transaction.
    func attach(to loop: EventLoop) throws {
        guard let handle else { throw PostgresError.connectionClosed(sql: nil) }
        let registration = try loop.register(PQsocket(handle), events: Self.watched, source: self)
        watch = (loop, registration)
    }

    private static let watched = EPOLLIN.rawValue | EPOLLET.rawValue

    /// Runs `statements` in a transaction opened by `begin`: all of them, the preparation of those the cache lacks, and
    /// the `COMMIT`, go to the server at once, one round trip. Returns what each statement gave. A failure rolls the
    /// transaction back, another round trip. `callers`: how many callers' statements these are, each of whom, alone,
    /// would have waited for its answer as long as one does, up to twice one caller's wait. (The server answers at the
    /// sync, so a batch of slow statements, each within the statement timeout, can outlast that, and then fails as a
    /// lost connection, as one caller's slow statements can.) `refused` is told the index of the statement the server
    /// refused, when one was (not `BEGIN` or `COMMIT`).
    func transaction(
        _ begin: String, _ statements: [SQLStatement], callers: Int = 1, refused: (Int) -> Void = { _ in }
    ) async throws -> [StatementResult] {
        let extraWait = min(statementTimeout * UInt64(max(callers - 1, 0)), answerTimeout)
        // The same statement twice in a batch is prepared once.
        var preparing: [String: String] = [:]
        let sent = statements.map { statement in
            let parameters = PostgresParameters(statement.bindings)
            let key = PostgresConnection.statementKey(statement.sql, parameters)
            var name = cache.cached(key) ?? preparing[key]
            var prepared: String?
            if name == nil, cache.capacity > 0 {
                preparedCount += 1
                prepared = "fsr_\(preparedCount)"
                preparing[key] = prepared
                name = prepared
            }
            return (statement: statement, parameters: parameters, key: key, name: name, prepared: prepared)
        }
        var results = try await exchange(sql: statements.first?.sql, extraWait: extraWait) { handle in
            guard PQsendQueryParams(handle, begin, 0, nil, nil, nil, nil, 0) == 1 else { return false }
            for statement in sent {
                if let prepared = statement.prepared, statement.parameters.types.withUnsafeBufferPointer({ types in
                    PQsendPrepare(handle, prepared, PostgresPlaceholders.numbered(statement.statement.sql), Int32(types.count), types.baseAddress)
                }) != 1 { return false }
                let queued = statement.parameters.withCArrays { count, types, values, lengths, formats in
                    if let name = statement.name {
                        PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0)
                    } else {
                        PQsendQueryParams(handle, PostgresPlaceholders.numbered(statement.statement.sql), count, types, values, lengths, formats, 0)
                    }
                }
                guard queued == 1 else { return false }
            }
            return PQsendQueryParams(handle, "COMMIT", 0, nil, nil, nil, nil, 0) == 1
        }[...]
        defer { results.forEach { PQclear($0) } }
        /// The next command's result, freed when this transaction's work is done.
        func next() -> OpaquePointer? {
            guard let result = results.popFirst() ?? nil else { return nil }
            taken.append(result)
            return result
        }
        var taken: [OpaquePointer] = []
        defer { taken.forEach { PQclear($0) } }
        var given: [StatementResult] = []
        do {
            try check(next(), sql: begin)
            for (index, statement) in sent.enumerated() {
                if let prepared = statement.prepared {
                    try check(next(), sql: statement.statement.sql, refusing: index, refused)
                    if let evicted = cache.insert(prepared, for: statement.key) {
                        columns[evicted] = nil
                        deallocateLater.append(evicted)
                    }
                }
                let result = next()
                do {
                    try check(result, sql: statement.statement.sql, refusing: index, refused)
                } catch let error as PostgresError where error.isStalePlan {
                    // Another process changed a table under a statement this session prepared (a rolling migration):
                    // prepared afresh next time. The aborted transaction refuses a `DEALLOCATE`; the name is never
                    // reused, and the session's end frees it.
                    if let name = cache.removeStatement(for: statement.key) { columns[name] = nil }
                    throw error
                }
                guard let result else { preconditionFailure("check passed a NULL result") }
                given.append(StatementResult(rows: rows(of: result, statement: statement.name), changed: Int(String(cString: PQcmdTuples(result))) ?? 0))
            }
            try check(next(), sql: "COMMIT")
        } catch {
            if isUsable, let handle, PQtransactionStatus(handle) != PQTRANS_IDLE {
                try? await command("ROLLBACK")
            }
            throw error
        }
        // The transaction is done: a connection that breaks now is the next transaction's to find.
        try? await deallocateEvicted()
        return given
    }

    /// A prepared statement's columns, named once: they stay the same while it is prepared.
    private var columns: [String: Columns] = [:]

    private func rows(of result: OpaquePointer, statement name: String?) -> [Row] {
        guard let name else { return PostgresConnection.rows(of: result) }
        if let known = columns[name] { return PostgresConnection.rows(of: result, columns: known) }
        let named = PostgresConnection.columns(of: result)
        columns[name] = named
        return PostgresConnection.rows(of: result, columns: named)
    }

    /// Statements the cache let go of, still prepared on the server.
    private var deallocateLater: [String] = []

    /// Its own round trip, but only once the cache is full of other statements.
    private func deallocateEvicted() async throws {
        guard !deallocateLater.isEmpty else { return }
        let names = deallocateLater
        deallocateLater = []
        let results = try await exchange(sql: nil) { handle in
            names.allSatisfy { PQsendQueryParams(handle, "DEALLOCATE \($0)", 0, nil, nil, nil, nil, 0) == 1 }
        }
        results.forEach { PQclear($0) }
    }

    /// A statement without parameters or results.
    private func command(_ sql: String) async throws {
        let results = try await exchange(sql: sql) { PQsendQueryParams($0, sql, 0, nil, nil, nil, nil, 0) == 1 }
        defer { results.forEach { PQclear($0) } }
        try check(results.first ?? nil, sql: sql)
    }

    /// Sends what `send` queues, then a sync, and returns each command's first result (NULL where none came), read up
    /// to the sync. A command after a failed one comes back `PGRES_PIPELINE_ABORTED`. A connection that cannot be
    /// written or read is broken: it throws `.connectionLost`, and is closed. One that refuses what `send` queues (too
    /// many parameters, say) is closed too, its pipeline half queued, but the error is libpq's.
    private func exchange(sql: String?, extraWait: UInt64 = 0, _ send: (OpaquePointer) -> Bool) async throws -> [OpaquePointer?] {
        guard let handle, !pool.isClosed else { throw PostgresError.connectionClosed(sql: sql) }
        guard PQstatus(handle) == CONNECTION_OK else { throw brokenError(sql: sql) }
        guard send(handle), PQpipelineSync(handle) == 1 else {
            guard PQstatus(handle) == CONNECTION_OK else { throw brokenError(sql: sql) }
            let refused = PostgresConnection.error(from: nil, handle: handle, connectionString: connectionString, sql: sql)
            close()
            throw refused
        }
        pool.countRoundTrip()
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { break }
            guard flushed == 1 else { throw brokenError(sql: sql) }
            try await ready(writable: true, extraWait: extraWait, sql: sql)
        }
        var results: [OpaquePointer?] = []
        /// The first result of the command being read; any more it has are dropped.
        var current: OpaquePointer?
        var done = false
        defer {
            if !done {
                PQclear(current)
                results.forEach { PQclear($0) }
            }
        }
        var nulls = 0
        // Nothing was read since the connection was found quiet: the answer comes as an event even when it is here
        // already. Later, `consumeInput` may have left some of it in the socket, which makes no new event: `rearm`.
        var rearm = false
        while true {
            try await ready(rearm: rearm, extraWait: extraWait, sql: sql)
            rearm = true
            guard PQconsumeInput(handle) == 1 else { throw brokenError(sql: sql) }
            while PQisBusy(handle) == 0 {
                guard let result = PQgetResult(handle) else {
                    // The end of one command's results. Two in a row, before the sync: libpq has nothing more to give.
                    nulls += 1
                    guard nulls < 2 else { throw brokenError(sql: sql) }
                    results.append(current)
                    current = nil
                    continue
                }
                nulls = 0
                if PQresultStatus(result) == PGRES_PIPELINE_SYNC {
                    PQclear(result)
                    done = true
                    return results
                }
                if current == nil { current = result } else { PQclear(result) }
            }
        }
    }

    /// Waits for the socket's next event (an answer; with `writable`, room to send too), or until the answer is overdue.
    /// An event may be stale, of data read since: the caller reads, and waits again while libpq is still busy. With
    /// `rearm`, epoll looks at the socket again, so that data already there makes an event too.
    private func ready(writable: Bool = false, rearm: Bool = false, extraWait: UInt64, sql: String?) async throws {
        guard let watch else { throw brokenError(sql: sql) }
        // A wait that starts once the pool is closed would outlast its loop (`PostgresDatabase.close`). What was sent
        // may have committed: the connection is given up as lost, not refused as closed.
        guard !pool.isClosed else { throw brokenError(sql: sql) }
        watch.loop.assertInEventLoop()
        if writable || rearm { watch.loop.modify(watch.registration, events: Self.watched | (writable ? EPOLLOUT.rawValue : 0)) }
        defer { if writable { watch.loop.modify(watch.registration, events: Self.watched) } }
        deadline = MonotonicClock.now() + answerTimeout + extraWait
        try await withCheckedThrowingContinuation { continuation in
            waiter = continuation
        }
    }

    func handle(events: UInt32) {
        waiter.take()?.resume()
    }

    func tick(now: UInt64) {
        guard waiter != nil, now > deadline else { return }
        // The server stopped answering (a network partition, a frozen host): the session is given up.
        close()
        waiter.take()?.resume(throwing: PostgresError(
            kind: .connectionLost, sqlState: nil, message: "the database did not answer in time", sql: nil
        ))
    }

    // MARK: Errors

    private func check(_ result: OpaquePointer?, sql: String) throws {
        try PostgresConnection.check(result, handle: handle, connectionString: connectionString, sql: sql)
    }

    /// `check`, telling `refused` the statement's index when the server refused it, and not only skipped it after
    /// another's failure.
    private func check(_ result: OpaquePointer?, sql: String, refusing index: Int, _ refused: (Int) -> Void) throws {
        do {
            try check(result, sql: sql)
        } catch let error as PostgresError where error.isServerRefusal {
            refused(index)
            throw error
        }
    }

    /// The connection is given up (closed), and its loss reported with libpq's account of it.
    private func brokenError(sql: String?) -> PostgresError {
        defer { close() }
        return PostgresConnection.connectionError(
            .connectionLost, prefix: "the connection to the database broke", handle: handle, connectionString: connectionString, sql: sql
        )
    }
}

/// What one statement of a brief transaction gave.
struct StatementResult: Sendable {
    let rows: [Row]
    /// The rows it inserted, updated or deleted.
    let changed: Int
}

/// Confined by `PostgresLoopConnections`: one holder at a time, on the holder's loop.
extension PostgresLoopConnection: @unchecked Sendable {}

/// What every connection of a `PostgresLoopConnections` reads, from any thread.
final class PoolSignals: Sendable {
    private let closed = Atomic<Bool>(false)
    private let roundTrips = Atomic<Int>(0)

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    func close() {
        closed.store(true, ordering: .releasing)
    }

    /// For tests and diagnostics.
    var roundTripCount: Int { roundTrips.load(ordering: .relaxed) }

    func countRoundTrip() {
        roundTrips.add(1, ordering: .relaxed)
    }
}
