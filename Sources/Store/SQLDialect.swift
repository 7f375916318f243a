/// Which SQL a store speaks. The app's statements are written in what both understand; the
/// dialect only picks a store's migrations and answers what only its own catalog can.
public enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// The folder of the migrations directory holding this dialect's files.
    public var migrationsFolder: String { rawValue }

    /// A query with one parameter, a table name, returning a row when that table exists.
    var tableExistsQuery: String {
        switch self {
        case .sqlite: "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?"
        case .postgres: "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?"
        }
    }

    /// What follows a `CREATE TABLE (…)` the store creates itself: SQLite's tables are STRICT,
    /// as every migration makes them.
    var tableOptions: String {
        switch self {
        case .sqlite: " STRICT"
        case .postgres: ""
        }
    }
}
