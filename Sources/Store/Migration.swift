import Cryptography
public import Foundation

/// One schema change, read from a file named `NNNN_name.sql`.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String
    /// Lowercase hex SHA-256 of the file's bytes, recorded when applied so a
    /// later edit of an applied file is detected.
    public let checksum: String
    public let fileName: String

    /// `checksum` defaults to the digest of `sql`'s UTF-8 bytes, which is what
    /// loading the same text from a file yields; `fileName` to `NNNN_name.sql`.
    public init(version: Int, name: String, sql: String, checksum: String? = nil, fileName: String? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = checksum ?? SHA256.hexDigest(Array(sql.utf8))
        self.fileName = fileName ?? Migrations.fileName(version: version, name: name)
    }
}

public enum Migrations {
    /// Reads every `.sql` file in `directory`, sorted by version. Other files are
    /// ignored; a `.sql` file with a bad name is an error rather than skipped,
    /// because silently not applying a migration is worse than refusing to start.
    public static func load(from directory: URL) throws -> [Migration] {
        let fileNames: [String]
        do {
            // The path-based listing: on Linux the URL-based one returns nothing
            // for a symlinked directory, which would silently skip every migration.
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.unreadableDirectory(path: directory.path, reason: error.localizedDescription)
        }
        var migrations: [Migration] = []
        for fileName in fileNames where fileName.lowercased().hasSuffix(".sql") {
            let file = directory.appendingPathComponent(fileName, isDirectory: false)
            guard let (version, name) = parse(fileName: fileName) else {
                throw MigrationError.invalidFileName(fileName)
            }
            let bytes: Data
            do {
                bytes = try Data(contentsOf: file)
            } catch {
                throw MigrationError.unreadableFile(fileName, reason: error.localizedDescription)
            }
            guard let sql = String(validating: bytes, as: UTF8.self) else {
                throw MigrationError.invalidEncoding(fileName)
            }
            migrations.append(
                Migration(version: version, name: name, sql: sql, checksum: SHA256.hexDigest(bytes), fileName: fileName)
            )
        }
        migrations.sort { ($0.version, $0.name) < ($1.version, $1.name) }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(previous.version, files: [previous.fileName, next.fileName])
        }
        return migrations
    }

    public static func load(fromPath path: String) throws -> [Migration] {
        try load(from: URL(fileURLWithPath: path, isDirectory: true))
    }

    /// The migrations of one dialect: the folder named for it inside `root` (`Migrations/sqlite`,
    /// `Migrations/postgres`), numbered alike so a version means the same schema in both.
    public static func load(fromPath root: String, for dialect: SQLDialect) throws -> [Migration] {
        try load(from: URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(dialect.migrationsFolder, isDirectory: true))
    }

    /// Splits `NNNN_name.sql` (4 or more digits, name of `[a-z0-9_]`) into its parts.
    static func parse(fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.utf8.dropLast(4)
        let digits = stem.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let rest = stem.dropFirst(digits.count)
        guard digits.count >= 4, rest.first == UInt8(ascii: "_") else { return nil }
        let name = rest.dropFirst()
        let allowed = { (byte: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        guard !name.isEmpty, name.allSatisfy(allowed),
              let version = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        return (version, String(decoding: name, as: UTF8.self))
    }

    static func fileName(version: Int, name: String) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
    }
}
