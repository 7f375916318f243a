/// Why `migrate --copy-to` refused or stopped. No case leaves a copied row behind: the source's
/// state and the target's data are checked before anything is written, and the copy itself is one
/// transaction, rolled back (the target may keep the schema its migrations made, as `migrate` makes
/// it). Descriptions are written for the operator at the terminal, and name tables, columns and
/// types, never a value.
public enum CopyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `DATABASE_URL` is set, so the configured store is PostgreSQL, not a SQLite file to copy from.
    case sourceNotSQLite
    case sourceMissing(path: String)
    /// The SQLite database has migrations left to apply (their files).
    case sourceBehind(pending: [String])
    /// The newest migration recorded on each side (nil: none): a copy maps one version to the same.
    case versionsDiffer(source: Int?, target: Int?)
    /// Rows per table that the target's migrations did not write.
    case targetHoldsData([String: Int])
    case tablesDiffer(onlyInSource: [String], onlyInTarget: [String])
    case columnsDiffer(table: String, onlyInSource: [String], onlyInTarget: [String])
    /// `row` counts from 1 in the order the source was read; `held` is a kind, not the value.
    case valueDoesNotFit(table: String, column: String, row: Int, held: String, columnType: String)
    /// PostgreSQL refused a row (a constraint, a type); its message, without the statement's values.
    case insertFailed(table: String, message: String)
    case countsDiffer(table: String, source: Int, target: Int)
    /// Tables whose foreign keys refer to each other in a circle: no order inserts them.
    case foreignKeyCycle([String])

    public var description: String {
        let nothingWritten = "Nothing was written to PostgreSQL."
        let nothingCopied = "Nothing was copied: the transaction was rolled back."
        return switch self {
        case .sourceNotSQLite:
            "--copy-to copies from the SQLite database, but DATABASE_URL (or database.url) selects PostgreSQL as the store. "
                + "Unset it and name the SQLite file with --database or DATABASE_PATH."
        case let .sourceMissing(path):
            "There is no SQLite database at \(path) to copy. Name it with --database or DATABASE_PATH."
        case let .sourceBehind(pending):
            "The SQLite database is not at the newest migration (pending: \(pending.joined(separator: ", "))). "
                + "Run `fullscript-redirect migrate` on it first, then copy. \(nothingWritten)"
        case let .versionsDiffer(source, target):
            "The SQLite database is at migration \(Self.version(source)) but PostgreSQL at \(Self.version(target)): "
                + "a copy needs both at the same version (run `fullscript-redirect migrate` on the SQLite database first). \(nothingCopied)"
        case let .targetHoldsData(rows):
            "The PostgreSQL database already holds data ("
                + rows.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) row(s)" }.joined(separator: ", ")
                + "). \(nothingWritten) Copy into an empty database (createdb), or one only `fullscript-redirect migrate` has touched."
        case let .tablesDiffer(onlyInSource, onlyInTarget):
            "The two schemas do not have the same tables"
                + (onlyInSource.isEmpty ? "" : "; only in SQLite: \(onlyInSource.joined(separator: ", "))")
                + (onlyInTarget.isEmpty ? "" : "; only in PostgreSQL: \(onlyInTarget.joined(separator: ", "))")
                + ". Every SQLite migration needs its PostgreSQL twin. \(nothingCopied)"
        case let .columnsDiffer(table, onlyInSource, onlyInTarget):
            "Table \(table) does not have the same columns in both stores"
                + (onlyInSource.isEmpty ? "" : "; only in SQLite: \(onlyInSource.joined(separator: ", "))")
                + (onlyInTarget.isEmpty ? "" : "; only in PostgreSQL: \(onlyInTarget.joined(separator: ", "))")
                + ". \(nothingCopied)"
        case let .valueDoesNotFit(table, column, row, held, columnType):
            "Row \(row) of \(table) holds \(held) in \(column), which a PostgreSQL \(columnType) column cannot store "
                + "(the value is not shown). \(nothingCopied)"
        case let .insertFailed(table, message):
            "PostgreSQL refused a row of \(table): \(message). \(nothingCopied)"
        case let .countsDiffer(table, source, target):
            "Table \(table) has \(source) row(s) in SQLite but \(target) in PostgreSQL after the copy. \(nothingCopied)"
        case let .foreignKeyCycle(tables):
            "The foreign keys of \(tables.joined(separator: ", ")) refer to each other in a circle, so no order of "
                + "inserts satisfies them. \(nothingCopied)"
        }
    }

    private static func version(_ version: Int?) -> String {
        version.map(String.init) ?? "none"
    }
}
