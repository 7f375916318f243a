internal import CSQLite

/// A prepared SQLite statement owned by one connection.
final class Statement {
    let handle: OpaquePointer
    let sql: String

    /// The result's columns, with SQLite's count of this statement's re-preparations when they were read.
    private var shape: (columns: Columns, preparations: Int32)?

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    /// The result's columns, read once per preparation: SQLite prepares a statement again after a
    /// schema change, and `*` may then name other columns. Call after a step, which is where that happens.
    func columns() -> Columns {
        let preparations = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
        if let shape, shape.preparations == preparations { return shape.columns }
        let columns = Columns(names: (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) })
        shape = (columns, preparations)
        return columns
    }

    deinit {
        sqlite3_finalize(handle)
    }
}
