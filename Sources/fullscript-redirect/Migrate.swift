import App
import ArgumentParser
import Foundation

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations from Migrations/ and report them.",
        discussion: "Each file Migrations/<store>/NNNN_name.sql (sqlite, or postgres when DATABASE_URL is set) runs once, "
            + "in its own transaction, and is recorded with its checksum.\n\n"
            + "With --copy-to (or --copy-to-file), copies the SQLite database, at its newest migration, into an empty "
            + "PostgreSQL database instead: every table from one snapshot, in one transaction, row counts verified."
    )

    @OptionGroup var options: ServerOptions

    @Flag(help: "Only list applied and pending migrations.")
    var status = false

    @Option(name: .customLong("copy-to"), help: "Copy the SQLite database into this PostgreSQL database (a libpq URL; shows in ps).")
    var copyTo: String?

    @Option(name: .customLong("copy-to-file"), help: "Copy into the PostgreSQL database whose URL this file holds (keeps a password out of ps).")
    var copyToFile: String?

    func validate() throws {
        guard copyTo == nil || copyToFile == nil else { throw ValidationError("Give --copy-to or --copy-to-file, not both.") }
        guard !status || (copyTo == nil && copyToFile == nil) else { throw ValidationError("--status does not copy: drop --copy-to.") }
    }

    func run() async throws {
        let (database, _) = try await options.loadDatabase()
        guard let target = try copyTarget() else {
            let report = try await MigrationCommand.run(database: database, statusOnly: status)
            print(report, terminator: "")
            return
        }
        // Written through at once, so that each table's line shows while the next one copies.
        try await CopyToPostgresCommand.run(source: database, targetURL: target) { line in
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }

    /// The target's URL, from the flag or the file.
    private func copyTarget() throws -> String? {
        if let copyTo { return copyTo }
        guard let copyToFile else { return nil }
        guard let contents = try? String(contentsOfFile: copyToFile, encoding: .utf8) else {
            throw ValidationError("Cannot read the file named by --copy-to-file.")
        }
        return contents.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
