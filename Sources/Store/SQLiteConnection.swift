internal import CSQLite
import Foundation

/// One SQLite connection. Not thread-safe by design: it is opened with
/// `SQLITE_OPEN_NOMUTEX`, so it must be used by one thread at a time
/// (`Database` confines each connection to its own serial queue).
public final class SQLiteConnection {
    public enum Mode: Sendable {
        case readOnly
        /// Read-write, creating the file if it does not exist.
        case readWrite
    }

    public static let defaultBusyTimeout: Duration = .milliseconds(5000)
    public static let defaultStatementCacheCapacity = 64

    public let path: String
    public let mode: Mode
    private var handle: OpaquePointer?
    private var cache: StatementCache<Statement>
    /// What `notify` was asked in the open transaction, for `Database.write` to deliver once it commits.
    private var pendingNotifications: [Notification] = []
    /// Where this connection's commits are counted, by the tables they change (`countChanges`).
    private var changes: TableChanges?
    /// The `TableChanges` slots of the tables changed since the last commit, set by the update hook.
    private var changedSlots: UInt64 = 0
    /// Whether the statement being prepared drops a table or view (the authorizer's, see `init`).
    private var preparingDrop = false
    private let busyTimeoutMilliseconds: Int32
    /// The WAL's frames after the last commit, once `deferCheckpoints` took checkpoints over from SQLite.
    private var walFrames: Int32 = 0

    struct Notification: Sendable {
        let channel: String
        let payload: String
    }

    public init(
        path: String,
        mode: Mode = .readWrite,
        busyTimeout: Duration = SQLiteConnection.defaultBusyTimeout,
        statementCacheCapacity: Int = SQLiteConnection.defaultStatementCacheCapacity
    ) throws {
        self.path = path
        self.mode = mode
        self.cache = StatementCache(capacity: statementCacheCapacity)
        busyTimeoutMilliseconds = Self.milliseconds(busyTimeout)

        let access = mode == .readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(path, &opened, access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard status == SQLITE_OK, let opened else {
            // SQLite hands back a handle even on failure, only to carry the message.
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(opened)
            throw SQLiteError(extendedCode: status, message: "cannot open '\(path)': \(message)", sql: nil)
        }
        handle = opened

        // Past this point a throw still runs deinit, which closes the handle.
        sqlite3_busy_timeout(opened, busyTimeoutMilliseconds)
        try execute("PRAGMA foreign_keys = ON")
        if mode == .readWrite {
            // WAL is persistent in the file, so read-only connections inherit it from the writer.
            try execute("PRAGMA journal_mode = WAL")
            // In WAL mode NORMAL is still corruption-safe; it only risks losing the
            // last commits on power loss, in exchange for not fsyncing every commit.
            try execute("PRAGMA synchronous = NORMAL")
        }
    }

    deinit {
        close()
    }

    /// Counts this connection's commits in `changes`, by the tables they change (`TableChanges`). Before its
    /// first write: a statement prepared earlier keeps SQLite's truncate (see below).
    public func countChanges(in changes: TableChanges) throws {
        let handle = try openHandle(for: nil)
        self.changes = changes
        // Unretained: the hook goes with the handle, which `close` (and so deinit) closes first.
        sqlite3_update_hook(handle, { context, _, _, table, _ in
            guard let context, let table else { return }
            Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue().changedSlots |= 1 << UInt64(TableChanges.slot(of: table))
        }, Unmanaged.passUnretained(self).toOpaque())
        // A `DELETE` without `WHERE` empties the table at once, unseen by the update hook, unless an authorizer
        // answers SQLITE_IGNORE for it: then the rows are deleted, one by one, each seen (SQLite's DELETE docs).
        // A `DROP` asks about a delete too, after its own action, and would be skipped: it is let through, as
        // are deletes from SQLite's own tables. `preparingDrop` is cleared before each prepare (and step, which
        // prepares again after a schema change), so it tells of the statement being prepared.
        sqlite3_set_authorizer(handle, { context, action, table, _, _, _ in
            guard let context else { return SQLITE_OK }
            let connection = Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue()
            switch action {
            case SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_TABLE, SQLITE_DROP_VIEW, SQLITE_DROP_TEMP_VIEW:
                connection.preparingDrop = true
                return SQLITE_OK
            case SQLITE_DELETE:
                guard !connection.preparingDrop, let table, strncmp(table, "sqlite_", 7) != 0 else { return SQLITE_OK }
                return SQLITE_IGNORE
            default:
                return SQLITE_OK
            }
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// SQLite checkpoints the WAL in the commit that fills it past 1,000 pages, which writes those pages to the
    /// database file and syncs it. After this call it does not; `isCheckpointDue` says when the
    /// owner should (`checkpoint`), on a thread where that wait harms nobody.
    func deferCheckpoints() throws {
        let handle = try openHandle(for: nil)
        // Unretained, as the update hook's. The hook replaces SQLite's own, which is what checkpointed.
        sqlite3_wal_hook(handle, { context, _, _, frames in
            if let context { Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue().walFrames = frames }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// SQLite's own threshold (`SQLITE_DEFAULT_WAL_AUTOCHECKPOINT`).
    private static let checkpointFrames: Int32 = 1000

    /// The WAL has grown past `checkpointFrames` since the last `checkpoint` (only after `deferCheckpoints`).
    var isCheckpointDue: Bool { walFrames >= Self.checkpointFrames }

    /// A passive checkpoint, as SQLite's own: what readers still need stays in the WAL. A failure is left for the
    /// next one to retry, as SQLite leaves it.
    func checkpoint() {
        walFrames = 0
        guard let handle else { return }
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }

    /// Finalizes cached statements and closes the file. Later calls throw.
    public func close() {
        cache.removeAll()
        sqlite3_close_v2(handle)
        handle = nil
    }

    public var isOpen: Bool { handle != nil }

    /// What `notify` was asked since the last take, to deliver once it committed (or drop).
    func takeNotifications() -> [Notification] {
        defer { pendingNotifications.removeAll() }
        return pendingNotifications
    }

    public var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    public var lastInsertRowID: Int64 {
        guard let handle else { return 0 }
        return sqlite3_last_insert_rowid(handle)
    }

    /// How many prepared statements are kept for reuse; for diagnostics and tests.
    public var cachedStatementCount: Int { cache.count }

    /// Runs one statement to completion and returns the rows it inserted,
    /// updated or deleted (0 for statements that change no rows).
    @discardableResult
    public func execute(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> Int {
        let handle = try openHandle(for: sql)
        let changesBefore = sqlite3_total_changes64(handle)
        try withStatement(sql, bindings) { statement in
            while try step(statement) {}
        }
        // sqlite3_changes keeps the count of the previous DML statement when
        // this one is DDL or a query, so only trust it if something changed.
        return sqlite3_total_changes64(handle) == changesBefore ? 0 : Int(sqlite3_changes64(handle))
    }

    public func query(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> [Row] {
        try rows(sql, bindings, limit: .max)
    }

    /// Maps rows after the statement has finished, so `transform` may itself use this connection.
    public func query<T>(_ sql: String, _ bindings: [DatabaseValue] = [], _ transform: (Row) throws -> T) throws -> [T] {
        try query(sql, bindings).map(transform)
    }

    /// The first row, without stepping through the rest.
    public func queryFirst(_ sql: String, _ bindings: [DatabaseValue] = []) throws -> Row? {
        try rows(sql, bindings, limit: 1).first
    }

    /// Hands each row to `body` as it is stepped, holding one at a time: for reading a whole table
    /// (`migrate --copy-to`). `body` must not use this connection; inside a transaction every row
    /// comes from its one snapshot.
    public func forEachRow(_ sql: String, _ bindings: [DatabaseValue] = [], _ body: (Row) throws -> Void) throws {
        try stepRows(sql, bindings) { row in
            try body(row)
            return true
        }
    }

    private func rows(_ sql: String, _ bindings: [DatabaseValue], limit: Int) throws -> [Row] {
        var rows: [Row] = []
        try stepRows(sql, bindings) { row in
            rows.append(row)
            return rows.count < limit
        }
        return rows
    }

    /// Steps until the statement is done or `body` returns false.
    private func stepRows(_ sql: String, _ bindings: [DatabaseValue], _ body: (Row) throws -> Bool) throws {
        try withStatement(sql, bindings) { statement in
            guard try step(statement) else { return }
            // Read the shape only after the first step: a cached statement is
            // re-prepared there if the schema changed, and `*` may expand differently.
            let columns = statement.columns()
            let count = Int32(columns.names.count)
            while try body(Row(values: (0..<count).map { columnValue(statement.handle, $0) }, columns: columns)), try step(statement) {}
        }
    }

    /// Runs semicolon-separated statements in order, stopping at the first failure.
    /// Statements are prepared one by one and not cached: scripts run once.
    public func executeScript(_ script: String) throws {
        let handle = try openHandle(for: script)
        try script.withCString { start in
            var cursor = start
            while cursor.pointee != 0 {
                var prepared: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                preparingDrop = false
                let status = sqlite3_prepare_v2(handle, cursor, -1, &prepared, &tail)
                let end = tail.flatMap { $0 > cursor ? $0 : nil }
                let text = Self.text(from: cursor, to: end)
                guard status == SQLITE_OK else { throw error(status, sql: text) }
                guard let end else { return } // only comments or whitespace remained
                cursor = end
                guard let prepared else { continue } // an empty statement such as a stray ";"
                let statement = Statement(handle: prepared, sql: text)
                defer { countLandedChanges() }
                while try step(statement) {}
            }
        }
    }

    public enum TransactionKind: Sendable {
        /// Takes the write lock at `BEGIN`, so a busy database is waited for up
        /// front (with the busy timeout) instead of failing at the first write.
        case immediate
        /// Takes no lock until the first read: a consistent snapshot for readers.
        case deferred
        /// `immediate`, but without waiting for another process that holds the write lock: then it throws
        /// `SQLiteError.writeLockHeld` and `body` does not run.
        case immediateIfFree
    }

    /// Runs `body` in a transaction, committing on return and rolling back on
    /// throw (rethrowing the original error). Nested calls use a savepoint, so
    /// helpers can open a transaction whether or not one is already active.
    @discardableResult
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        let nested = isInTransaction
        if nested {
            try execute("SAVEPOINT nested_transaction")
        } else if kind == .immediateIfFree {
            try beginWithoutWaiting()
        } else {
            try execute(kind == .immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        }
        if !nested { pendingNotifications.removeAll() }
        let notified = pendingNotifications.count
        do {
            let result = try body()
            try execute(nested ? "RELEASE nested_transaction" : "COMMIT")
            return result
        } catch {
            rollBack(nested: nested)
            // A body that ended the transaction itself may have left fewer.
            pendingNotifications.removeSubrange(min(notified, pendingNotifications.count)...)
            throw error
        }
    }

    private func beginWithoutWaiting() throws {
        let handle = try openHandle(for: "BEGIN IMMEDIATE")
        sqlite3_busy_timeout(handle, 0)
        defer { sqlite3_busy_timeout(handle, busyTimeoutMilliseconds) }
        do {
            try execute("BEGIN IMMEDIATE")
        } catch let error as SQLiteError where error.isBusy {
            throw SQLiteError.writeLockHeld
        }
    }

    private func rollBack(nested: Bool) {
        // SQLite already rolls back by itself after some errors (SQLITE_FULL,
        // SQLITE_IOERR, …); and a failing ROLLBACK would only hide the caller's error.
        guard isInTransaction else { return }
        if nested {
            _ = try? execute("ROLLBACK TO nested_transaction")
            _ = try? execute("RELEASE nested_transaction")
        } else {
            _ = try? execute("ROLLBACK")
        }
    }

    /// Once no transaction is open, what the last one changed has landed (or was rolled back: counting it
    /// anyway only makes readers read again).
    private func countLandedChanges() {
        guard changedSlots != 0, !isInTransaction else { return }
        changes?.add(slots: changedSlots)
        changedSlots = 0
    }

    private func openHandle(for sql: String?) throws -> OpaquePointer {
        guard let handle else { throw SQLiteError.connectionClosed(sql: sql) }
        return handle
    }

    private func withStatement<T>(_ sql: String, _ bindings: [DatabaseValue], _ body: (Statement) throws -> T) throws -> T {
        let statement = try cache.statement(for: sql) { try prepare(sql) }.statement
        // Resetting ends the statement's read transaction (which would otherwise
        // pin an old WAL snapshot) and clearing drops copies of bound values.
        defer {
            sqlite3_reset(statement.handle)
            sqlite3_clear_bindings(statement.handle)
            countLandedChanges()
        }
        try bind(bindings, to: statement)
        return try body(statement)
    }

    private func prepare(_ sql: String) throws -> Statement {
        let handle = try openHandle(for: sql)
        var prepared: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let flags = UInt32(SQLITE_PREPARE_PERSISTENT)
        let trailing: String = try sql.withCString { start in
            preparingDrop = false
            let status = sqlite3_prepare_v3(handle, start, -1, flags, &prepared, &tail)
            guard status == SQLITE_OK else { throw error(status, sql: sql) }
            return tail.map { String(cString: $0) } ?? ""
        }
        guard let prepared else {
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "no SQL statement to run", sql: sql)
        }
        let statement = Statement(handle: prepared, sql: sql)
        if Self.containsStatement(trailing, handle: handle) {
            throw SQLiteError(
                extendedCode: SQLITE_MISUSE,
                message: "only one statement may be run at a time; use executeScript for several",
                sql: sql
            )
        }
        return statement
    }

    /// Whether text after the first statement holds more SQL rather than just
    /// comments and whitespace, which only the parser can tell.
    private static func containsStatement(_ text: String, handle: OpaquePointer) -> Bool {
        guard text.contains(where: { !$0.isWhitespace }) else { return false }
        var prepared: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, text, -1, &prepared, nil)
        sqlite3_finalize(prepared)
        return status != SQLITE_OK || prepared != nil
    }

    private func bind(_ bindings: [DatabaseValue], to statement: Statement) throws {
        let expected = Int(sqlite3_bind_parameter_count(statement.handle))
        guard expected == bindings.count else {
            throw SQLiteError(
                extendedCode: SQLITE_RANGE,
                message: "the statement has \(expected) parameters but \(bindings.count) values were bound",
                sql: statement.sql
            )
        }
        for (offset, value) in bindings.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 = switch value {
            case .null:
                sqlite3_bind_null(statement.handle, index)
            case let .integer(number):
                sqlite3_bind_int64(statement.handle, index, number)
            case let .real(number):
                sqlite3_bind_double(statement.handle, index, number)
            case let .text(text):
                // Bridging a String to a C pointer never yields NULL, so "" stays
                // an empty string rather than becoming SQL NULL.
                sqlite3_bind_text64(statement.handle, index, text, UInt64(text.utf8.count), csqlite_transient(), UInt8(SQLITE_UTF8))
            case let .blob(bytes) where bytes.isEmpty:
                // An empty array may have no base address, and a NULL pointer would bind SQL NULL.
                sqlite3_bind_zeroblob(statement.handle, index, 0)
            case let .blob(bytes):
                bytes.withUnsafeBytes {
                    sqlite3_bind_blob64(statement.handle, index, $0.baseAddress, UInt64($0.count), csqlite_transient())
                }
            }
            guard status == SQLITE_OK else { throw error(status, sql: statement.sql) }
        }
    }

    /// Advances the statement: true when a row is ready, false when done.
    private func step(_ statement: Statement) throws -> Bool {
        preparingDrop = false
        switch sqlite3_step(statement.handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw error(status, sql: statement.sql)
        }
    }

    private func columnValue(_ statement: OpaquePointer, _ index: Int32) -> DatabaseValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // Pointer first, then length: that order is what the SQLite docs guarantee.
            let text = sqlite3_column_text(statement, index)
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: text == nil ? 0 : count), as: UTF8.self))
        case SQLITE_BLOB:
            let bytes = sqlite3_column_blob(statement, index)
            let count = Int(sqlite3_column_bytes(statement, index))
            return .blob(bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? [])
        default:
            return .null
        }
    }

    private func error(_ status: Int32, sql: String?) -> SQLiteError {
        SQLiteError(extendedCode: status, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "", sql: sql)
    }

    private static func text(from start: UnsafePointer<CChar>, to end: UnsafePointer<CChar>?) -> String {
        let bytes = UnsafeRawBufferPointer(start: start, count: end.map { $0 - start } ?? strlen(start))
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(total, 0))
    }
}

/// Connections are confined to one thread at a time; share a `Database` instead.
@available(*, unavailable)
extension SQLiteConnection: Sendable {}

extension SQLiteConnection: ClosableConnection {}

extension SQLiteConnection: SQLConnection {
    public var dialect: SQLDialect { .sqlite }

    @discardableResult
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try transaction(.immediate, body)
    }

    public func notify(_ channel: String, payload: String) throws {
        guard isInTransaction, mode == .readWrite else {
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "a notification is sent by a write transaction", sql: nil)
        }
        pendingNotifications.append(Notification(channel: channel, payload: payload))
    }
}
