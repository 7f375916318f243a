public import Store

/// `migrate --copy-to`: every table of a SQLite database into a PostgreSQL database at the same
/// migration version, read from one SQLite snapshot and written in one PostgreSQL transaction, so a
/// failure anywhere leaves the target as it was.
///
/// Which tables and columns come from the two catalogs, not from a list a new migration could forget:
/// a table or column on one side only stops the copy. Values convert by the PostgreSQL column's type
/// (`ColumnConversion`); the counts are compared per table before the commit; identity and serial
/// sequences are moved past the copied values, so the app's next row does not collide with one.
public struct SQLiteToPostgresCopy {
    /// Each store's record of its own migrations, numbered apart (PostgreSQL starts at 0020's baseline):
    /// the one table not copied.
    public static let migrationsTable = "schema_migrations"
    /// The rows the PostgreSQL migrations write, per table, as a SQL condition: 0020_baseline.sql's
    /// default tenant. Only these may pass for the migrations' own; everything else is data.
    public static let migrationSeeds = ["tenants": "id = 'default'"]
    /// Bind parameters per INSERT, well under PostgreSQL's 65,535, and bytes per INSERT (webhook bodies,
    /// sealed tokens): what one statement holds in memory while a table streams through.
    static let parametersPerInsert = 10_000
    static let bytesPerInsert = 4 << 20

    private let source: SQLiteConnection
    private let target: PostgresConnection
    private let seeds: [String: String]

    /// `source` inside a read transaction (`Database.read`), so that every table comes from one
    /// snapshot; `target` outside any, since the copy is a transaction of its own.
    public init(source: SQLiteConnection, target: PostgresConnection, seeds: [String: String] = migrationSeeds) {
        precondition(source.isInTransaction, "read the SQLite database in one transaction (Database.read)")
        self.source = source
        self.target = target
        self.seeds = seeds
    }

    /// Copies, verifies and moves the sequences, then commits; `progress` hears each table once its
    /// rows are written (before the commit, which a later table may still prevent).
    public func run(progress: (_ table: String, _ rows: Int) -> Void = { _, _ in }) throws -> [CopiedTable] {
        try target.transaction(.readCommitted) {
            // The lock replicas migrate under: no migration runs while this copies.
            try target.execute("SELECT pg_advisory_xact_lock(?)", [.integer(PostgresDatabase.schemaLockKey)])
            let sourceTables = try Self.sqliteTables(source)
            let targetTables = try Self.postgresTables(target)
            let sourceVersion = try Self.newestMigration(source, recorded: sourceTables.contains(Self.migrationsTable))
            let targetVersion = try Self.newestMigration(target, recorded: targetTables.contains(Self.migrationsTable))
            guard let sourceVersion, sourceVersion == targetVersion else {
                throw CopyError.versionsDiffer(source: sourceVersion, target: targetVersion)
            }
            let tables = try pairs(sourceTables: sourceTables, targetTables: targetTables)
            guard !tables.isEmpty else { return [] }
            let list = tables.map(\.quotedName).joined(separator: ", ")
            // Locked before looking, so that nothing a running replica writes slips in between the look and the TRUNCATE.
            try target.execute("LOCK TABLE \(list) IN ACCESS EXCLUSIVE MODE")
            let held = try Self.rowsHeld(by: target, seeds: seeds)
            guard held.isEmpty else { throw CopyError.targetHoldsData(held) }
            // What is left is what the migrations wrote (the default tenant), which the source holds too.
            try target.execute("TRUNCATE \(list)")
            for table in tables {
                progress(table.name, try copy(table))
            }
            return try tables.map(verified)
        }
    }

    /// Rows per table that `target`'s migrations did not write; tables holding none are left out.
    /// A row a migration wrote shares its transaction, and so its `xmin`, with the schema_migrations
    /// row recording that migration; but a database restored in one transaction (`psql
    /// --single-transaction`, `pg_restore -1`) shares one `xmin` everywhere, so only the rows a
    /// migration is known to write (`seeds`) may pass for the migrations' own.
    public static func rowsHeld(by target: PostgresConnection, seeds: [String: String] = migrationSeeds) throws -> [String: Int] {
        let tables = try postgresTables(target)
        let recorded = tables.contains(migrationsTable)
        var held: [String: Int] = [:]
        for table in tables.subtracting([migrationsTable]) {
            var count = "SELECT count(*) FROM \(TablePair.quoted(table))"
            if recorded, let seeded = seeds[table] {
                count += " WHERE NOT ((\(seeded)) AND xmin IN (SELECT xmin FROM \(migrationsTable)))"
            }
            let rows = try target.queryFirst(count)?.int(0) ?? 0
            if rows > 0 { held[table] = rows }
        }
        return held
    }

    private func copy(_ table: TablePair) throws -> Int {
        let rowsPerInsert = max(1, Self.parametersPerInsert / table.columns.count)
        var values: [DatabaseValue] = []
        var pendingRows = 0
        var pendingBytes = 0
        var copied = 0
        func flush() throws {
            guard pendingRows > 0 else { return }
            try insert(values, rows: pendingRows, into: table)
            values.removeAll(keepingCapacity: true)
            pendingRows = 0
            pendingBytes = 0
        }
        let select = "SELECT " + table.columns.map(\.sourceExpression).joined(separator: ", ") + " FROM " + table.quotedName
        try source.forEachRow(select) { row in
            copied += 1
            for (index, column) in table.columns.enumerated() {
                let value = row[index]
                guard let converted = column.conversion.convert(value) else {
                    throw CopyError.valueDoesNotFit(table: table.name, column: column.name, row: copied,
                                                    held: column.conversion.kind(of: value), columnType: column.postgresType)
                }
                values.append(converted)
                pendingBytes += Self.size(of: converted)
            }
            pendingRows += 1
            if pendingRows == rowsPerInsert || pendingBytes >= Self.bytesPerInsert {
                try flush()
            }
        }
        try flush()
        return copied
    }

    private func insert(_ values: [DatabaseValue], rows: Int, into table: TablePair) throws {
        let columns = table.columns.map { TablePair.quoted($0.name) }.joined(separator: ", ")
        let row = "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        // OVERRIDING SYSTEM VALUE: a GENERATED ALWAYS identity takes the copied value too.
        let sql = "INSERT INTO \(table.quotedName) (\(columns)) OVERRIDING SYSTEM VALUE VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
        do {
            try target.execute(sql, values)
        } catch let error as PostgresError where !error.isUnavailable {
            // Its SQL is thousands of placeholders; the message alone says what was refused.
            throw CopyError.insertFailed(table: table.name, message: error.message)
        }
    }

    private func verified(_ table: TablePair) throws -> CopiedTable {
        let count = "SELECT count(*) FROM \(table.quotedName)"
        let sourceRows = try source.queryFirst(count)?.int(0) ?? 0
        let targetRows = try target.queryFirst(count)?.int(0) ?? 0
        guard sourceRows == targetRows else { throw CopyError.countsDiffer(table: table.name, source: sourceRows, target: targetRows) }
        var nextValues: [String: Int64] = [:]
        for column in table.columns where column.hasSequence {
            // is_called false: the next nextval() hands out exactly this value.
            nextValues[column.name] = try target.queryFirst(
                "SELECT setval(pg_get_serial_sequence(?, ?), greatest(coalesce(max(\(TablePair.quoted(column.name))), 0) + 1, 1), false) "
                    + "FROM \(table.quotedName)",
                [.text(table.quotedName), .text(column.name)]
            )?.optionalInt64(0)
        }
        return CopiedTable(name: table.name, sourceRows: sourceRows, targetRows: targetRows, nextValues: nextValues)
    }

    /// Every table but the migrations', paired column by column, parents before the tables whose
    /// foreign keys refer to them.
    private func pairs(sourceTables: Set<String>, targetTables: Set<String>) throws -> [TablePair] {
        let onlyInSource = sourceTables.subtracting(targetTables).sorted()
        let onlyInTarget = targetTables.subtracting(sourceTables).sorted()
        guard onlyInSource.isEmpty, onlyInTarget.isEmpty else {
            throw CopyError.tablesDiffer(onlyInSource: onlyInSource, onlyInTarget: onlyInTarget)
        }
        let tables = try sourceTables.subtracting([Self.migrationsTable]).sorted().map(pair)
        return try Self.parentsFirst(tables, references: try foreignKeyReferences())
    }

    private func pair(_ table: String) throws -> TablePair {
        let sourceColumns = try source.query("SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0", [.text(table)]) { try $0.string(0) }
        let hasRowID = try source.queryFirst("SELECT wr FROM pragma_table_list(?)", [.text(table)])?.int(0) == 0
        let targetColumns = try target.query(
            """
            SELECT column_name, data_type, coalesce(is_identity = 'YES' OR column_default LIKE 'nextval(%', false)
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER'
            ORDER BY ordinal_position
            """,
            [.text(table)]
        ) { row in (name: try row.string(0), type: try row.string(1), hasSequence: try row.bool(2)) }
        let declared = Set(sourceColumns)
        var onlyInTarget: [String] = []
        var columns: [TablePair.Column] = []
        for column in targetColumns {
            let expression: String
            if declared.contains(column.name) {
                expression = TablePair.quoted(column.name)
            } else if column.name == "rowid", hasRowID {
                expression = "rowid"
            } else {
                onlyInTarget.append(column.name)
                continue
            }
            columns.append(TablePair.Column(name: column.name, sourceExpression: expression, postgresType: column.type,
                                            conversion: ColumnConversion(postgresType: column.type), hasSequence: column.hasSequence))
        }
        let onlyInSource = declared.subtracting(targetColumns.map(\.name)).sorted()
        guard onlyInSource.isEmpty, onlyInTarget.isEmpty else {
            throw CopyError.columnsDiffer(table: table, onlyInSource: onlyInSource, onlyInTarget: onlyInTarget)
        }
        return TablePair(name: table, columns: columns)
    }

    /// Referring table → the tables it refers to (itself left out: its rows arrive in the source's order).
    private func foreignKeyReferences() throws -> [String: Set<String>] {
        let edges = try target.query(
            """
            SELECT child.relname, parent.relname
            FROM pg_catalog.pg_constraint c
            JOIN pg_catalog.pg_class child ON child.oid = c.conrelid
            JOIN pg_catalog.pg_class parent ON parent.oid = c.confrelid
            WHERE c.contype = 'f' AND child.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
            """
        ) { (child: try $0.string(0), parent: try $0.string(1)) }
        return edges.filter { $0.child != $0.parent }.reduce(into: [:]) { $0[$1.child, default: []].insert($1.parent) }
    }

    private static func parentsFirst(_ tables: [TablePair], references: [String: Set<String>]) throws -> [TablePair] {
        var ordered: [TablePair] = []
        var placed: Set<String> = []
        var waiting = tables
        while !waiting.isEmpty {
            let ready = waiting.filter { references[$0.name, default: []].isSubset(of: placed) }
            guard !ready.isEmpty else { throw CopyError.foreignKeyCycle(waiting.map(\.name)) }
            ordered += ready
            placed.formUnion(ready.map(\.name))
            waiting.removeAll { placed.contains($0.name) }
        }
        return ordered
    }

    private static func sqliteTables(_ source: SQLiteConnection) throws -> Set<String> {
        Set(try source.query(#"SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'"#) { try $0.string(0) })
    }

    private static func postgresTables(_ target: PostgresConnection) throws -> Set<String> {
        Set(try target.query("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()") { try $0.string(0) })
    }

    private static func newestMigration(_ connection: some SQLConnection, recorded: Bool) throws -> Int? {
        guard recorded else { return nil }
        return try connection.queryFirst("SELECT max(version) FROM \(migrationsTable)")?.optionalInt(0)
    }

    private static func size(of value: DatabaseValue) -> Int {
        switch value {
        case let .text(text): text.utf8.count
        case let .blob(bytes): bytes.count
        default: 8
        }
    }
}
