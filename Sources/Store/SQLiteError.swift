internal import CSQLite
import Foundation

/// A failed SQLite call. Carries the SQL text but never bound values, which may
/// be secrets or patient data and would otherwise end up in logs.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …).
    public let code: Int32
    /// Extended result code (`SQLITE_CONSTRAINT_UNIQUE`, …); equals `code` when SQLite gave none.
    public let extendedCode: Int32
    public let message: String
    public let sql: String?

    public init(extendedCode: Int32, message: String, sql: String?) {
        self.code = extendedCode & 0xFF
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// Another connection held a lock for longer than the busy timeout.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    public var description: String {
        var codes = String(cString: sqlite3_errstr(extendedCode))
        if extendedCode != code { codes += ", extended code \(extendedCode)" }
        var text = "SQLite error \(code) (\(codes)): \(message)"
        if let sql { text += " — SQL: \(sql)" }
        return text
    }

    /// The counts of `TableChanges` could not be opened or mapped.
    static func changeCounts(_ path: String, _ number: Int32) -> SQLiteError {
        changeCounts(path, String(cString: strerror(number)))
    }

    static func changeCounts(_ path: String, _ reason: String) -> SQLiteError {
        SQLiteError(extendedCode: SQLITE_CANTOPEN, message: "cannot use the change counts '\(path)': \(reason)", sql: nil)
    }

    /// `BEGIN IMMEDIATE` found the write lock held by another connection, and was not to wait for it.
    static let writeLockHeld = SQLiteError(extendedCode: SQLITE_BUSY, message: "the write lock is held by another connection", sql: nil)

    /// A write of a batch ended the transaction the others shared (`GroupCommit`).
    static let transactionEnded = SQLiteError(extendedCode: SQLITE_MISUSE, message: "a write ended its batch's transaction", sql: nil)

    static func connectionClosed(sql: String?) -> SQLiteError {
        SQLiteError(extendedCode: SQLITE_MISUSE, message: "the database connection is closed", sql: sql)
    }
}

extension SQLiteError: StoreError {
    public var unavailability: StoreUnavailability? { isBusy ? .busy : nil }
}
