internal import CLibPQ
import CLinux
import Foundation
import Glibc
import Reactor
import Store
import Synchronization

/// A PostgreSQL connection whose round trips are awaited on an event loop: its socket is watched by the loop's epoll
/// while a statement is out, and the task waiting for the answer resumes there when it comes. A blocking
/// `PostgresConnection` makes a thread sleep in `poll` for every round trip and hands each transaction to that thread
/// and back; on a server's loop, whose thread has other requests to serve meanwhile, neither happens.
///
/// Always in libpq's non-blocking pipeline mode: a transaction's `BEGIN`, the preparation of a statement the cache
/// lacks, and the statement go to the server together, one round trip. Confined to one task at a time, on one loop
/// (`PostgresLoopConnections` checks it out); it is registered with that loop only while checked out, so an idle one
/// is a plain connection that any thread may close.
final class PostgresLoopConnection: EventLoopSource {
    private let connectionString: PostgresConnectionString
    /// How long a round trip may go unanswered before the connection is given up: the server's statement timeout,
    /// with time to say so.
    private let answerTimeout: UInt64
    private var handle: OpaquePointer?
    private var cache: StatementCache<String>
    private var preparedCount = 0
    /// Where the connection is watched while checked out.
    private var watch: (loop: EventLoop, registration: Registration)?
    private var waiter: CheckedContinuation<Void, any Error>?
    private var deadline: UInt64 = 0
    /// Whether the server has answered the running transaction: until then, a connection found broken ran nothing of
    /// it that was committed, and the transaction may run again on another.
    private(set) var answeredInTransaction = false

    /// Counts each round trip, for tests and diagnostics.
    private let counter: RoundTripCounter

    /// Takes over `connection`'s session (connected, its settings made).
    init(taking connection: PostgresConnection, statementCacheCapacity: Int, counter: RoundTripCounter) throws {
        self.counter = counter
        connectionString = connection.connectionString
        answerTimeout = UInt64(PostgresConnection.milliseconds(connection.statementTimeout) + 5_000) * 1_000_000
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
    /// notice that it ends the session) is one event, which `handle` passes over; the next transaction reads it.
    func attach(to loop: EventLoop) throws {
        guard let handle else { throw closedError(sql: nil) }
        let registration = try loop.register(PQsocket(handle), events: Self.watched, source: self)
        watch = (loop, registration)
    }

    private static let watched = EPOLLIN.rawValue | EPOLLET.rawValue

    /// Runs `statements` in a transaction opened by `begin`: all of them, the preparation of those the cache lacks, and
    /// the `COMMIT`, go to the server at once, one round trip. Returns what each statement gave.
    /// A failure rolls the transaction back, another round trip.
    func transaction(_ begin: String, _ statements: [SQLStatement]) async throws -> [StatementResult] {
        answeredInTransaction = false
        let sent = statements.map { statement in
            let parameters = PostgresParameters(statement.bindings)
            let key = PostgresConnection.statementKey(statement.sql, parameters)
            let cached = cache.cached(key)
            var prepared: String?
            if cached == nil, cache.capacity > 0 {
                preparedCount += 1
                prepared = "fsr_\(preparedCount)"
            }
            return (statement: statement, parameters: parameters, key: key, name: prepared ?? cached, prepared: prepared)
        }
        var results = try await exchange(sql: statements.first?.sql) { handle in
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
        var kept: [StatementResult] = []
        do {
            defer { results.forEach { PQclear($0) } }
            try check(results.popFirst() ?? nil, sql: begin)
            for statement in sent {
                if let prepared = statement.prepared {
                    try check(results.popFirst() ?? nil, sql: statement.statement.sql)
                    if let evicted = cache.insert(prepared, for: statement.key) {
                        columns[evicted] = nil
                        deallocateLater.append(evicted)
                    }
                }
                guard let result = results.popFirst() ?? nil else {
                    throw PostgresConnection.error(from: nil, handle: handle, connectionString: connectionString, sql: statement.statement.sql)
                }
                defer { PQclear(result) }
                do {
                    try check(result, sql: statement.statement.sql)
                } catch let error as PostgresError where error.isStalePlan {
                    // Another process changed a table under a statement this session prepared (a rolling migration):
                    // prepared afresh next time. The aborted transaction refuses a `DEALLOCATE`; the name is never
                    // reused, and the session's end frees it.
                    if let name = cache.removeStatement(for: statement.key) { columns[name] = nil }
                    throw error
                }
                kept.append(StatementResult(rows: rows(of: result, statement: statement.name), changed: Int(String(cString: PQcmdTuples(result))) ?? 0))
            }
            try check(results.popFirst() ?? nil, sql: "COMMIT")
        } catch {
            if isUsable, let handle, PQtransactionStatus(handle) != PQTRANS_IDLE {
                PQclear(try? await exchange(sql: "ROLLBACK") { PQsendQueryParams($0, "ROLLBACK", 0, nil, nil, nil, nil, 0) == 1 }.first ?? nil)
            }
            throw error
        }
        try await deallocateEvicted()
        return kept
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

    /// Sends what `send` queues, then a sync, and returns each command's first result (NULL where none came), read up
    /// to the sync. A command after a failed one comes back `PGRES_PIPELINE_ABORTED`. A connection that cannot be
    /// written or read is broken: it throws `.connectionLost`, and its checker-in closes it.
    private func exchange(sql: String?, _ send: (OpaquePointer) -> Bool) async throws -> [OpaquePointer?] {
        guard let handle else { throw closedError(sql: sql) }
        guard PQstatus(handle) == CONNECTION_OK, send(handle), PQpipelineSync(handle) == 1 else { throw brokenError(sql: sql) }
        counter.count()
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { break }
            guard flushed == 1 else { throw brokenError(sql: sql) }
            try await ready(writable: true, sql: sql)
        }
        // The answer cannot have been read yet; it comes as an event even if it is here already (edge-triggered).
        try await ready(sql: sql)
        var results: [OpaquePointer?] = []
        var current: OpaquePointer?
        var started = false
        var nulls = 0
        while true {
            guard PQconsumeInput(handle) == 1 else {
                PQclear(current)
                results.forEach { PQclear($0) }
                throw brokenError(sql: sql)
            }
            while PQisBusy(handle) == 0 {
                guard let result = PQgetResult(handle) else {
                    // The end of one command's results. Two in a row, before the sync: libpq has nothing more to give.
                    nulls += 1
                    guard nulls < 2 else {
                        results.forEach { PQclear($0) }
                        throw brokenError(sql: sql)
                    }
                    results.append(current)
                    current = nil
                    started = false
                    continue
                }
                nulls = 0
                if PQresultStatus(result) == PGRES_PIPELINE_SYNC {
                    PQclear(result)
                    answeredInTransaction = true
                    return results
                }
                if started { PQclear(result) } else { current = result; started = true }
            }
            try await ready(sql: sql)
        }
    }

    /// Waits until the socket is ready for `events`, or the answer is overdue.
    /// Waits for the socket's next event (an answer; with `writable`, room to send too), or until the answer is overdue.
    /// An event may be stale, of data read since: the caller reads, and waits again while libpq is still busy.
    private func ready(writable: Bool = false, sql: String?) async throws {
        guard let watch else { throw brokenError(sql: sql) }
        watch.loop.assertInEventLoop()
        if writable { watch.loop.modify(watch.registration, events: Self.watched | EPOLLOUT.rawValue) }
        defer { if writable { watch.loop.modify(watch.registration, events: Self.watched) } }
        deadline = MonotonicClock.now() + answerTimeout
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
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return }
        if status == PGRES_PIPELINE_ABORTED {
            throw PostgresError(kind: .other, sqlState: nil, message: "not run: an earlier statement failed", sql: sql)
        }
        throw PostgresConnection.error(from: result, handle: handle, connectionString: connectionString, sql: sql)
    }

    private func brokenError(sql: String?) -> PostgresError {
        let detail = handle.map { String(cString: PQerrorMessage($0)) } ?? ""
        close()
        return PostgresError(
            kind: .connectionLost, sqlState: nil,
            message: connectionString.redacting("the connection to the database broke: " + detail.trimmingCharacters(in: .whitespacesAndNewlines)),
            sql: sql
        )
    }

    private func closedError(sql: String?) -> PostgresError {
        PostgresError(kind: .closed, sqlState: nil, message: "the database connection is closed", sql: sql)
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

final class RoundTripCounter: Sendable {
    private let total = Atomic<Int>(0)

    var value: Int { total.load(ordering: .relaxed) }

    func count() {
        total.add(1, ordering: .relaxed)
    }
}
