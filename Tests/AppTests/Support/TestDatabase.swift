import Foundation
import Glibc
import Locking
import PostgresStore
import PostgresTesting

/// Which store the app's tests run on: SQLite files by default; `TEST_DATABASE=postgres` runs them on
/// one PostgreSQL server this process starts (and stops at exit), a database of its own per test
/// folder, so an application restarted on the same folder finds its data again.
enum TestDatabase {
    static let isPostgres = ProcessInfo.processInfo.environment["TEST_DATABASE"] == "postgres"

    /// The settings that put a test folder's application on the chosen store.
    static func environment(for directory: URL) -> [String: String] {
        guard isPostgres else { return [:] }
        do {
            return ["DATABASE_URL": try url(for: directory.lastPathComponent), "DATABASE_POOL_SIZE": "3"]
        } catch {
            fatalError("TEST_DATABASE=postgres, but no database for the test: \(error)")
        }
    }

    private static let server: Result<PostgresServer, any Error> = {
        let started = Result { try PostgresServer.start() }
        if case let .success(server) = started {
            running.withLock { $0 = server }
            atexit { running.withLock { $0 }?.stop() }
        }
        return started
    }()

    /// For the exit handler, which cannot capture.
    private static let running = PThreadMutex<PostgresServer?>(nil)
    private static let created = PThreadMutex<[String: String]>([:])

    private static func url(for folder: String) throws -> String {
        let server = try server.get()
        let name = "t_" + folder.lowercased().filter { $0.isLetter || $0.isNumber }
        if let url = created.withLock({ $0[name] }) { return url }
        let admin = try PostgresConnection(url: server.url())
        defer { admin.close() }
        // Through the simple protocol: CREATE DATABASE cannot run inside a transaction block.
        try admin.executeScript("CREATE DATABASE \(name)")
        let url = server.url(database: name)
        created.withLock { $0[name] = url }
        return url
    }
}
