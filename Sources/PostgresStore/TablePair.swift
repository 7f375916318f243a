import Foundation

/// One table as both stores have it, column by column, found in their catalogs: what
/// `SQLiteToPostgresCopy` reads from SQLite and writes to PostgreSQL.
struct TablePair {
    struct Column {
        let name: String
        /// What the SQLite SELECT reads: the quoted column, or `rowid`, the receive order SQLite keeps
        /// implicitly and a PostgreSQL twin declares (webhook_events).
        let sourceExpression: String
        /// `information_schema.columns.data_type`.
        let postgresType: String
        let conversion: ColumnConversion
        /// An identity or serial column, whose sequence must start past the copied values.
        let hasSequence: Bool
    }

    let name: String
    let columns: [Column]

    var quotedName: String { Self.quoted(name) }

    /// An identifier quoted as both SQLite and PostgreSQL read it.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
