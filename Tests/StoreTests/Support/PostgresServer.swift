import Dispatch
import Foundation
import Glibc
import Testing

/// A real PostgreSQL server for the tests: initdb into a temporary folder, a unix
/// socket in that folder (no TCP port to collide on), stopped by its PID.
///
/// As root (CI containers) the server runs as the `postgres` user the Debian
/// package creates, because initdb and postgres refuse to run as root.
final class PostgresServer: Sendable {
    /// The server of the suite being run; see `PostgresServerScope`.
    @TaskLocal static var current: PostgresServer?

    /// Where initdb, pg_ctl and postgres are: $POSTGRES_BIN, Debian's PostgreSQL 15, or the PATH.
    static let binDirectory: String? = {
        var candidates = ["/usr/lib/postgresql/15/bin"]
        if let configured = ProcessInfo.processInfo.environment["POSTGRES_BIN"] { candidates.insert(configured, at: 0) }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    static let missingMessage: Comment =
        "PostgreSQL server binaries (initdb, pg_ctl) not found in $POSTGRES_BIN, /usr/lib/postgresql/15/bin or PATH: install Debian's postgresql (scripts/install-deps.sh)"

    let directory: String
    private let binDirectory: String
    private let owner: String?

    var dataDirectory: String { "\(directory)/data" }

    private init(directory: String, binDirectory: String, owner: String?) {
        self.directory = directory
        self.binDirectory = binDirectory
        self.owner = owner
    }

    static func start() throws -> PostgresServer {
        guard let binDirectory else { throw ServerError(message: "\(missingMessage)") }
        let directory = "/tmp/pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let owner = geteuid() == 0 ? "postgres" : nil
        if let owner {
            guard let account = getpwnam(owner) else {
                throw ServerError(message: "running as root, and there is no '\(owner)' user to run PostgreSQL as")
            }
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        let server = PostgresServer(directory: directory, binDirectory: binDirectory, owner: owner)
        do {
            try server.run("initdb", ["-D", server.dataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N"])
            try server.pgCtl("start")
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// A libpq URL for `database` over the unix socket.
    func url(database: String = "postgres", extra: String = "") -> String {
        "postgresql://postgres@/\(database)?host=\(directory)\(extra)"
    }

    /// Fast shutdown then start, as an operator's `pg_ctl restart -m fast`: clients are disconnected.
    func restart() throws {
        try pgCtl("restart", "-m", "fast")
    }

    /// Fast shutdown by the postmaster's PID, then the folder goes.
    func stop() {
        if let pid = postmasterPID() {
            kill(pid, SIGINT)
            // The postmaster removes its PID file last; it is not our child, so we cannot wait for it.
            let deadline = Date().addingTimeInterval(30)
            while FileManager.default.fileExists(atPath: "\(dataDirectory)/postmaster.pid"), Date() < deadline {
                usleep(20_000)
            }
            // Then for the process itself, whose children exit just after; a zombie counts as gone.
            while let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  !stat.contains(") Z "), Date() < deadline {
                usleep(20_000)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func postmasterPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0) }
    }

    private func pgCtl(_ action: String, _ arguments: String...) throws {
        let options = "-k \(directory) -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try run("pg_ctl", [action, "-w", "-t", "60", "-D", dataDirectory, "-l", "\(directory)/server.log", "-o", options] + arguments)
    }

    /// posix_spawn and waitpid rather than `Process`, whose exit notification never arrived while
    /// several suites started their servers at once; output goes to a file, so no pipe can fill or hang.
    private func run(_ tool: String, _ arguments: [String]) throws {
        let command = owner.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []
        let argv = command + ["\(binDirectory)/\(tool)"] + arguments
        let outputPath = "\(directory)/\(tool).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw ServerError(message: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
            throw ServerError(message: "\(tool) \(arguments.first ?? "") failed (status \(status)): \(printed)\n\(log.suffix(2000))")
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// Starts one server for a whole suite (its tests run in parallel against it)
/// and stops it when the suite ends, pass or fail.
struct PostgresServerScope: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        // initdb and pg_ctl block for seconds: off the cooperative pool, which has a thread per core.
        let server = try await offPool { try PostgresServer.start() }
        defer { server.stop() }
        try await PostgresServer.$current.withValue(server) { try await function() }
    }
}

/// Runs blocking work on a Dispatch thread and waits for it without holding a cooperative thread.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

extension Trait where Self == PostgresServerScope {
    /// A PostgreSQL server for the suite, or the suite skipped with a message when the binaries are missing.
    static var postgresServer: Self { Self() }
}

extension PostgresServer {
    /// The suite's server; a test outside a `.postgresServer` suite is a mistake in the test.
    static var required: PostgresServer {
        get throws {
            guard let current else { throw ServerError(message: "no PostgreSQL server: add .postgresServer to the suite") }
            return current
        }
    }
}
