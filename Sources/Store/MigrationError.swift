/// Why migrations could not be loaded, checked or applied. Descriptions are
/// written for an operator reading CLI output.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableDirectory(path: String, reason: String)
    case invalidFileName(String)
    case unreadableFile(String, reason: String)
    case invalidEncoding(String)
    case duplicateVersion(Int, files: [String])
    /// An applied migration's file no longer has the checksum recorded when it ran.
    case checksumMismatch(version: Int, name: String)
    /// The database records a migration that has no file.
    case missingFile(version: Int)
    /// The migration's SQL failed; its changes were rolled back and it was not recorded.
    case failed(fileName: String, message: String, sql: String?)

    public var description: String {
        switch self {
        case let .unreadableDirectory(path, reason):
            "Cannot read the migrations directory '\(path)': \(reason)"
        case let .invalidFileName(file):
            "Migration file '\(file)' is badly named: expected NNNN_name.sql (4 or more digits, an underscore, "
                + "then lowercase letters, digits or underscores)"
        case let .unreadableFile(file, reason):
            "Cannot read migration file '\(file)': \(reason)"
        case let .invalidEncoding(file):
            "Migration file '\(file)' is not valid UTF-8"
        case let .duplicateVersion(version, files):
            "Migration version \(version) is used by more than one file: \(files.joined(separator: ", "))"
        case let .checksumMismatch(version, name):
            "Migration \(version) (\(name)) was changed after it was applied: its checksum no longer matches "
                + "the one recorded in schema_migrations. Restore the file and put the change in a new migration."
        case let .missingFile(version):
            "Migration \(version) is recorded as applied in schema_migrations but its file is missing"
        case let .failed(fileName, message, sql):
            "Migration '\(fileName)' failed and was rolled back: \(message)" + (sql.map { " — in: \($0)" } ?? "")
        }
    }
}
