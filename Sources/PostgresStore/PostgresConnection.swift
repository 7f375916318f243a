internal import CLibPQ
import Foundation
public import Store

/// One PostgreSQL connection through libpq. Not thread-safe: one thread at a
/// time (`PostgresDatabase` confines each connection to its own serial queue),
/// and every call blocks that thread for a network round trip.
///
/// Values are the stores' shared `DatabaseValue`/`Row`, so a store reads rows the
/// same way from either database, and parameters are `?` as in SQLite (numbered
/// here, outside literals and comments). Parameters travel typed: integers as `int8`,
/// reals as `float8`, blobs as `bytea` (all binary), text as an untyped literal
/// the server types from its context (so text binds to `uuid`, `timestamptz`,
/// `jsonb` columns too). Results arrive as text and are decoded by column
/// type: integer types to `.integer`, `boolean` to `.integer(0/1)` (SQLite's
/// convention, so `Row.bool` reads both), floating types to `.real`, `numeric`
/// to `.integer` when whole (`sum(bigint)`) else `.real` (as SQLite computes it),
/// `bytea` to `.blob`, everything else (timestamps, uuid, json) to `.text`.
public final class PostgresConnection {
    public static let defaultStatementTimeout: Duration = .seconds(5)
    public static let defaultStatementCacheCapacity = 64

    public let connectionString: PostgresConnectionString
    public let statementTimeout: Duration
    private var handle: OpaquePointer?
    /// Names of server-side prepared statements, keyed by parameter types and SQL.
    private var cache: StatementCache<String>
    private var preparedCount = 0
    /// Counted here because libpq cannot say whether a broken connection was in a transaction.
    private var transactionDepth = 0
    /// The open transaction's `BEGIN`, not sent yet: it goes with the transaction's first statement, one round trip
    /// for both (libpq's pipeline mode). A transaction of one statement then costs two round trips, not three.
    private var pendingBegin: String?
    /// A transaction the server knows of: begun, and its `BEGIN` sent.
    private var serverTransactionIsOpen: Bool { transactionDepth > 0 && pendingBegin == nil }
    /// The advisory locks this session holds (`PostgresConnection+AdvisoryLocks`), and whether releasing one failed.
    var heldLocks: Set<String> = []
    var aReleaseFailed = false

    public convenience init(
        url: String,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        statementCacheCapacity: Int = PostgresConnection.defaultStatementCacheCapacity
    ) throws {
        try self.init(
            connectionString: PostgresConnectionString(url),
            statementTimeout: statementTimeout,
            statementCacheCapacity: statementCacheCapacity
        )
    }

    public init(
        connectionString: PostgresConnectionString,
        statementTimeout: Duration = PostgresConnection.defaultStatementTimeout,
        statementCacheCapacity: Int = PostgresConnection.defaultStatementCacheCapacity
    ) throws {
        self.connectionString = connectionString
        self.statementTimeout = statementTimeout
        self.cache = StatementCache(capacity: statementCacheCapacity)
        let connection = connectionString.connect()
        handle = connection
        // Past this point a throw still runs deinit, which frees the handle.
        guard PQstatus(connection) == CONNECTION_OK else {
            throw connectionError(.cannotConnect, prefix: "cannot connect to \(connectionString)")
        }
        try configureSession()
    }

    deinit {
        close()
    }

    /// Ends the session and frees the handle. Later calls throw.
    public func close() {
        cache.removeAll()
        PQfinish(handle)
        handle = nil
    }

    public var isOpen: Bool { handle != nil }

    /// Hands the session over (to a `PostgresLoopConnection`); this connection is closed afterwards.
    func takeHandle() -> OpaquePointer? {
        cache.removeAll()
        defer { handle = nil }
        return handle
    }

    /// Whether libpq still considers the connection usable. A server restart is
    /// only noticed at the next round trip; `PQstatus` does not poll the socket.
    public var isConnected: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    public var isInTransaction: Bool { transactionDepth > 0 }

    /// The server process serving this connection (`pg_backend_pid()`), for diagnostics and tests.
    public var serverProcessID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// How many times this connection sent the server something and waited for its answer; for diagnostics and tests.
    public private(set) var roundTrips = 0

    /// How many prepared statements are kept for reuse; for diagnostics and tests.
    public var cachedStatementCount: Int { cache.count }

    /// Runs one statement and returns the rows it inserted, updated or deleted
    /// (0 for statements that report no count, such as DDL; a SELECT reports the rows it returned).
    @discardableResult
    public func execute(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> Int {
        let result = try run(sql, bindings)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public func query(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> [Row] {
        let result = try run(sql, bindings)
        defer { PQclear(result) }
        return Self.rows(of: result)
    }

    /// The first row. The server still sends every row: add `LIMIT 1` to the SQL when there may be many.
    public func queryFirst(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> Row? {
        try query(sql, bindings).first
    }

    /// Runs semicolon-separated statements without parameters (a migration),
    /// stopping at the first failure. Outside a transaction the server runs
    /// them as one implicit transaction.
    public func executeScript(_ script: String) throws {
        try beginNow()
        let handle = try usableHandle(for: script)
        roundTrips += 1
        let result = PQexec(handle, script)
        defer { PQclear(result) }
        try check(result, sql: script)
    }

    public enum IsolationLevel: Sendable {
        case readCommitted
        /// One snapshot for the whole transaction.
        case repeatableRead
        /// As if transactions ran one at a time; conflicts fail with `.serializationFailure`.
        case serializable

        var sql: String {
            switch self {
            case .readCommitted: "READ COMMITTED"
            case .repeatableRead: "REPEATABLE READ"
            case .serializable: "SERIALIZABLE"
            }
        }
    }

    /// Runs `body` in a transaction, committing on return and rolling back on
    /// throw (rethrowing the original error). Nested calls use a savepoint and
    /// keep the outer transaction's isolation.
    ///
    /// A connection found broken at `BEGIN` (the server restarted while it sat
    /// idle) is re-established and `BEGIN` sent once more: nothing was committed.
    /// `BEGIN` waits for the first statement, and goes with it (`pendingBegin`).
    @discardableResult
    public func transaction<T>(
        _ isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        _ body: () throws -> T
    ) throws -> T {
        let nested = transactionDepth > 0
        if nested {
            try command("SAVEPOINT nested_transaction")
        } else {
            pendingBegin = "BEGIN ISOLATION LEVEL \(isolation.sql) \(readOnly ? "READ ONLY" : "READ WRITE")"
        }
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        do {
            let result = try body()
            try commit(nested: nested)
            return result
        } catch {
            rollBack(nested: nested)
            throw error
        }
    }

    /// Re-establishes a broken connection (`PQreset`) and its session settings.
    /// Never inside a transaction: its statements would silently run outside it.
    public func reconnectIfNeeded() throws {
        let handle = try openHandle(for: nil)
        guard PQstatus(handle) != CONNECTION_OK, !serverTransactionIsOpen else { return }
        try startNewSession()
    }

    /// Closes the server session, and with it everything it held (advisory locks, settings), and opens
    /// a new one. Never inside a transaction.
    func startNewSession() throws {
        let handle = try openHandle(for: nil)
        precondition(!serverTransactionIsOpen, "a new session inside a transaction would leave its statements outside it")
        // The old session's locks end with it, whether or not a new one opens.
        heldLocks.removeAll()
        aReleaseFailed = false
        PQreset(handle)
        // Prepared statements lived in the old server session.
        cache.removeAll()
        guard PQstatus(handle) == CONNECTION_OK else {
            throw connectionError(.connectionLost, prefix: "cannot reconnect to \(connectionString)")
        }
        try configureSession()
    }

    private func commit(nested: Bool) throws {
        // No statement ran: the server never heard of the transaction.
        if !nested, pendingBegin != nil {
            pendingBegin = nil
            return
        }
        let handle = try openHandle(for: nil)
        // After an error the body swallowed, COMMIT would quietly roll back and report success.
        if PQtransactionStatus(handle) == PQTRANS_INERROR {
            throw PostgresError(
                kind: .misuse,
                sqlState: "25P02",
                message: "the transaction was aborted by an earlier error, so it was rolled back instead of committed",
                sql: nil
            )
        }
        try command(nested ? "RELEASE nested_transaction" : "COMMIT")
    }

    private func rollBack(nested: Bool) {
        if !nested, pendingBegin != nil {
            pendingBegin = nil
            return
        }
        // A broken connection has no transaction left to roll back; a failing
        // ROLLBACK would only hide the caller's error.
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        if nested {
            try? command("ROLLBACK TO nested_transaction")
            try? command("RELEASE nested_transaction")
        } else {
            try? command("ROLLBACK")
        }
    }

    /// Settings every session needs, set again after each reconnect.
    private func configureSession() throws {
        let handle = try openHandle(for: nil)
        clibpq_silence_notices(handle)
        guard PQsetClientEncoding(handle, "UTF8") == 0 else {
            throw connectionError(.other, prefix: "cannot set the client encoding to UTF8")
        }
        // `exec`, not `command`: a reconnect may happen with a transaction's `BEGIN` pending, and these must not join it
        // (its rollback would undo them).
        try exec("SET statement_timeout = \(Self.milliseconds(statementTimeout))")
        // `Row` decodes bytea from the hex form; a server may be configured for the old escape form.
        try exec("SET bytea_output = 'hex'")
    }

    /// A duration as PostgreSQL's time settings take it, in whole milliseconds.
    static func milliseconds(_ duration: Duration) -> Int64 {
        max(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000, 0)
    }

    /// A statement without parameters or results, through the simple protocol (no prepare round trip).
    private func command(_ sql: String) throws {
        try beginNow()
        try exec(sql)
    }

    private func exec(_ sql: String) throws {
        let handle = try usableHandle(for: sql)
        roundTrips += 1
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Sends the pending `BEGIN` alone, before what cannot go with it (a command, a script).
    private func beginNow() throws {
        guard let begin = pendingBegin else { return }
        do {
            try exec(begin)
        } catch let error as PostgresError where error.kind == .connectionLost {
            // Found broken (the server restarted while it sat idle): nothing was committed.
            try exec(begin)
        }
        pendingBegin = nil
    }

    private func run(_ sql: String, _ bindings: [DatabaseValue]) throws -> OpaquePointer {
        let handle = try usableHandle(for: sql)
        let parameters = PostgresParameters(bindings)
        if let begin = pendingBegin {
            do {
                return try run(sql, parameters, after: begin, on: handle)
            } catch let error as PostgresError where error.kind == .connectionLost && pendingBegin != nil {
                // Found broken at the transaction's first statement (the server restarted while it sat idle): nothing
                // was committed.
                return try run(sql, parameters, after: begin, on: try usableHandle(for: sql))
            }
        }
        guard cache.capacity > 0 else {
            roundTrips += 1
            return try result(of: parameters.withCArrays { count, types, values, lengths, formats in
                PQexecParams(handle, PostgresPlaceholders.numbered(sql), count, types, values, lengths, formats, 0)
            }, sql: sql)
        }
        let key = Self.statementKey(sql, parameters)
        do {
            return try runPrepared(sql, key: key, parameters, on: handle)
        } catch let error as PostgresError where error.isStalePlan {
            // Another process changed the table under a `SELECT *` this session prepared (a rolling
            // migration); the server will not re-plan it to a new row shape, so prepare it afresh.
            // Inside a transaction the error aborted it: the caller must run the transaction again.
            forget(key)
            guard !serverTransactionIsOpen else { throw error }
            return try runPrepared(sql, key: key, parameters, on: handle)
        }
    }

    private func runPrepared(_ sql: String, key: String, _ parameters: PostgresParameters, on handle: OpaquePointer) throws -> OpaquePointer {
        let name = try preparedName(sql, key: key, parameters, on: handle)
        roundTrips += 1
        return try result(of: parameters.withCArrays { count, _, values, lengths, formats in
            PQexecPrepared(handle, name, count, values, lengths, formats, 0)
        }, sql: sql)
    }

    /// `begin` and the transaction's first statement, sent together in pipeline mode; the statement's result once both
    /// succeeded. Prepared first, on a cache miss: a prepared statement belongs to the session, not the transaction.
    private func run(_ sql: String, _ parameters: PostgresParameters, after begin: String, on handle: OpaquePointer) throws -> OpaquePointer {
        let key = Self.statementKey(sql, parameters)
        let name = cache.capacity > 0 ? try preparedName(sql, key: key, parameters, on: handle) : nil
        guard PQenterPipelineMode(handle) == 1 else { throw error(from: nil, sql: sql) }
        roundTrips += 1
        let sent = PQsendQueryParams(handle, begin, 0, nil, nil, nil, nil, 0) == 1
            && parameters.withCArrays { count, types, values, lengths, formats in
                if let name {
                    PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0)
                } else {
                    PQsendQueryParams(handle, PostgresPlaceholders.numbered(sql), count, types, values, lengths, formats, 0)
                }
            } == 1
            && PQpipelineSync(handle) == 1
        guard sent else {
            let failure = error(from: nil, sql: sql)
            // What was sent runs up to a sync, without which the server would never answer; had `BEGIN` gone alone,
            // its transaction is open, and the caller's rollback must end it.
            if PQstatus(handle) == CONNECTION_OK { PQpipelineSync(handle) }
            leavePipeline(handle)
            if PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE { pendingBegin = nil }
            throw failure
        }
        pendingBegin = nil
        let beginResult = nextResult(handle)
        let statementResult = nextResult(handle)
        leavePipeline(handle)
        defer { PQclear(beginResult) }
        do {
            try check(beginResult, sql: begin)
        } catch {
            PQclear(statementResult)
            // `BEGIN` failed: no transaction, nothing ran, and `BEGIN` is still to be sent.
            pendingBegin = begin
            throw error
        }
        do {
            return try result(of: statementResult, sql: sql)
        } catch let error as PostgresError where error.isStalePlan {
            // As `run` does, but the transaction is the caller's to run again.
            forget(key)
            throw error
        }
    }

    /// What a prepared statement is cached by: the same SQL with other parameter types is another statement.
    /// Built in one buffer: it is made for every statement a brief operation runs.
    static func statementKey(_ sql: String, _ parameters: PostgresParameters) -> String {
        var key = ""
        key.reserveCapacity(sql.utf8.count + 8 * parameters.types.count + 1)
        for type in parameters.types {
            key += String(type)
            key += ","
        }
        key += "\u{0}"
        key += sql
        return key
    }

    /// The cached statement's name, prepared on a miss (deallocating the one the cache let go of).
    private func preparedName(_ sql: String, key: String, _ parameters: PostgresParameters, on handle: OpaquePointer) throws -> String {
        let (name, evicted) = try cache.statement(for: key) { try prepare(sql, parameters, on: handle) }
        if let evicted { deallocate(evicted) }
        return name
    }

    /// The next command's result in pipeline mode, and the NULL that ends it.
    private func nextResult(_ handle: OpaquePointer) -> OpaquePointer? {
        let result = PQgetResult(handle)
        if result != nil { PQclear(PQgetResult(handle)) }
        return result
    }

    /// Reads what is left up to the pipeline's sync, then leaves pipeline mode. A broken connection reads NULL at once
    /// and cannot leave: the next use reconnects (`PQreset` starts out of pipeline mode).
    private func leavePipeline(_ handle: OpaquePointer) {
        var nulls = 0
        while PQstatus(handle) == CONNECTION_OK, PQexitPipelineMode(handle) != 1, nulls < 2 {
            guard let result = PQgetResult(handle) else {
                nulls += 1
                continue
            }
            nulls = 0
            PQclear(result)
        }
    }

    /// The result when it succeeded; otherwise it is freed and its error thrown.
    private func result(of result: OpaquePointer?, sql: String) throws -> OpaquePointer {
        do {
            try check(result, sql: sql)
        } catch {
            PQclear(result)
            throw error
        }
        guard let result else { preconditionFailure("check passed a NULL result") }
        return result
    }

    /// Drops a cached statement; on the server too, unless the transaction is aborted and refuses
    /// every command (the name is then never reused, and the session's end frees it).
    private func forget(_ key: String) {
        guard let name = cache.removeStatement(for: key), let handle else { return }
        if PQtransactionStatus(handle) != PQTRANS_INERROR {
            deallocate(name)
        }
    }

    private func deallocate(_ name: String) {
        guard let handle else { return }
        roundTrips += 1
        PQclear(PQexec(handle, "DEALLOCATE \(name)"))
    }

    private func prepare(_ sql: String, _ parameters: PostgresParameters, on handle: OpaquePointer) throws -> String {
        preparedCount += 1
        let name = "fsr_\(preparedCount)"
        roundTrips += 1
        let result = parameters.types.withUnsafeBufferPointer { types in
            PQprepare(handle, name, PostgresPlaceholders.numbered(sql), Int32(types.count), types.baseAddress)
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
        return name
    }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        try Self.check(result, handle: handle, connectionString: connectionString, sql: sql)
    }

    /// Throws unless `result` succeeded. In pipeline mode, a command after a failed one comes back aborted.
    static func check(_ result: OpaquePointer?, handle: OpaquePointer?, connectionString: PostgresConnectionString, sql: String) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return
        case PGRES_EMPTY_QUERY:
            throw PostgresError(kind: .misuse, sqlState: nil, message: "no SQL statement to run", sql: sql)
        case PGRES_PIPELINE_ABORTED:
            throw PostgresError(kind: .other, sqlState: nil, message: "not run: an earlier statement failed", sql: sql)
        default:
            throw error(from: result, handle: handle, connectionString: connectionString, sql: sql)
        }
    }

    private func error(from result: OpaquePointer?, sql: String) -> PostgresError {
        Self.error(from: result, handle: handle, connectionString: connectionString, sql: sql)
    }

    static func error(from result: OpaquePointer?, handle: OpaquePointer?, connectionString: PostgresConnectionString, sql: String?) -> PostgresError {
        let sqlState = result.flatMap { PQresultErrorField($0, clibpq_diag_sqlstate()) }.map { String(cString: $0) }
        let primary = result.flatMap { PQresultErrorField($0, clibpq_diag_message_primary()) }.map { String(cString: $0) }
        let message = primary ?? handle.map { String(cString: PQerrorMessage($0)) } ?? ""
        let broken = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        var kind = sqlState.map(PostgresError.kind(sqlState:)) ?? .other
        if broken { kind = .connectionLost }
        if sqlState == "42601", message.contains("multiple commands") { kind = .misuse }
        return PostgresError(
            kind: kind,
            sqlState: sqlState,
            message: connectionString.redacting(
                PostgresError.publicMessage(message.trimmingCharacters(in: .whitespacesAndNewlines), sqlState: sqlState)
            ),
            sql: sql
        )
    }

    private func connectionError(_ kind: PostgresError.Kind, prefix: String) -> PostgresError {
        Self.connectionError(kind, prefix: prefix, handle: handle, connectionString: connectionString, sql: nil)
    }

    /// `prefix` and libpq's own account of the connection, its password redacted.
    static func connectionError(
        _ kind: PostgresError.Kind, prefix: String, handle: OpaquePointer?, connectionString: PostgresConnectionString, sql: String?
    ) -> PostgresError {
        let detail = handle.map { String(cString: PQerrorMessage($0)) } ?? ""
        let message = "\(prefix): \(detail.trimmingCharacters(in: .whitespacesAndNewlines))"
        return PostgresError(kind: kind, sqlState: nil, message: connectionString.redacting(message), sql: sql)
    }

    private func openHandle(for sql: String?) throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError.connectionClosed(sql: sql)
        }
        return handle
    }

    /// The handle, reconnected first when it broke between transactions.
    private func usableHandle(for sql: String) throws -> OpaquePointer {
        let handle = try openHandle(for: sql)
        if PQstatus(handle) != CONNECTION_OK {
            guard !serverTransactionIsOpen else {
                throw PostgresError(
                    kind: .connectionLost, sqlState: nil,
                    message: "the connection broke during the transaction", sql: sql
                )
            }
            try reconnectIfNeeded()
        }
        return handle
    }

    static func columns(of result: OpaquePointer) -> Columns {
        Columns(names: (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) })
    }

    static func rows(of result: OpaquePointer, columns: Columns? = nil) -> [Row] {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = columns ?? Self.columns(of: result)
        let types = (0..<columnCount).map { PQftype(result, $0) }
        return (0..<rowCount).map { row in
            Row(values: (0..<columnCount).map { column in
                value(result, row: row, column: column, type: types[Int(column)])
            }, columns: columns)
        }
    }

    private static func value(_ result: OpaquePointer, row: Int32, column: Int32, type: Oid) -> DatabaseValue {
        if PQgetisnull(result, row, column) == 1 { return .null }
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: Int(PQgetlength(result, row, column)))
        let text = String(decoding: bytes, as: UTF8.self)
        switch type {
        case TypeOID.bool:
            return .integer(text == "t" ? 1 : 0)
        case TypeOID.int2, TypeOID.int4, TypeOID.int8, TypeOID.oid:
            return Int64(text).map(DatabaseValue.integer) ?? .text(text)
        case TypeOID.float4, TypeOID.float8:
            return Double(text).map(DatabaseValue.real) ?? .text(text)
        case TypeOID.numeric:
            // What SQLite returns for the same expression (sum of integers, avg): `numeric` has no
            // exact counterpart among the shared values, and PostgreSQL widens integer sums to it.
            return Int64(text).map(DatabaseValue.integer) ?? Double(text).map(DatabaseValue.real) ?? .text(text)
        case TypeOID.bytea:
            return ByteaHex.decode(bytes).map(DatabaseValue.blob) ?? .text(text)
        default:
            return .text(text)
        }
    }
}

extension PostgresConnection: ClosableConnection {}

extension PostgresConnection: SQLConnection {
    public var dialect: SQLDialect { .postgres }

    /// Inside a transaction, a savepoint under the transaction's own isolation.
    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try transaction(.serializable, body)
    }

    /// `pg_notify`, which the server delivers when the transaction commits (and drops when it rolls back).
    public func notify(_ channel: String, payload: String) throws {
        guard isInTransaction else {
            throw PostgresError(kind: .misuse, sqlState: nil, message: "a notification is sent by a write transaction", sql: nil)
        }
        _ = try query("SELECT pg_notify(?, ?)", [.text(channel), .text(payload)])
    }
}

/// Connections are confined to one thread at a time; share a `PostgresDatabase` instead.
@available(*, unavailable)
extension PostgresConnection: Sendable {}
