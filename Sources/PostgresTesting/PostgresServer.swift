import Dispatch
import Foundation
import Glibc
import Locking

/// A real PostgreSQL server for the tests: initdb into a temporary folder, a unix
/// socket in that folder (no TCP port to collide on), stopped by its PID.
/// Each suite gets a server of its own; the data directories are copies of one
/// initdb made once per test process.
///
/// The server is this process's child (not daemonized by pg_ctl), so stopping it
/// reaps it: no zombie is left for a container's PID 1 that does not reap. As
/// root (CI containers) it runs as the `postgres` user the Debian package
/// creates, through runuser, because initdb and postgres refuse to run as root.
package final class PostgresServer: Sendable {
    /// The server of the suite being run; see `PostgresServerScope`.
    @TaskLocal package static var current: PostgresServer?

    /// Where initdb and postgres are: $POSTGRES_BIN, Debian's PostgreSQL 15, or the PATH.
    package static let binDirectory: String? = {
        var candidates = ["/usr/lib/postgresql/15/bin"]
        if let configured = ProcessInfo.processInfo.environment["POSTGRES_BIN"] { candidates.insert(configured, at: 0) }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    package static let missingMessage = """
        PostgreSQL server binaries (initdb, postgres) not found in $POSTGRES_BIN, /usr/lib/postgresql/15/bin \
        or PATH: install Debian's postgresql (scripts/install-deps.sh)
        """

    package let directory: String
    private let binDirectory: String
    private let owner: String?
    /// The loopback port of a server that also takes TLS connections (unix sockets carry no TLS).
    package let tlsPort: Int?
    /// The child that runs the server (runuser, or postgres itself), while it runs.
    private let child = PThreadMutex<pid_t?>(nil)

    package var dataDirectory: String { "\(directory)/data" }

    private init(directory: String, binDirectory: String, owner: String?, tlsPort: Int?) {
        self.directory = directory
        self.binDirectory = binDirectory
        self.owner = owner
        self.tlsPort = tlsPort
    }

    package static func start(tls: Bool = false) throws -> PostgresServer {
        let template = try template.get()
        let directory = "/tmp/pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let server = PostgresServer(
            directory: directory,
            binDirectory: template.binDirectory,
            owner: template.owner,
            tlsPort: tls ? try freeLoopbackPort() : nil
        )
        do {
            if tls {
                try server.makeCertificates()
            }
            try server.giveToOwner(directory)
            // A copy of one initdb per test process: a copy takes a tenth of initdb's CPU time.
            let copy = try spawn(["/bin/cp", "-a", template.dataDirectory, server.dataDirectory], output: "\(directory)/cp.out")
            guard wait(for: copy) == 0 else { throw server.failure("copying the initdb template failed") }
            try server.launch()
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// A data directory made by initdb, never started, removed when the test process exits.
    private static let template: Result<PostgresServer, ServerError> = {
        guard let binDirectory else { return .failure(ServerError(message: missingMessage)) }
        let directory = "/tmp/pg-template-\(UUID().uuidString.prefix(8))"
        let template = PostgresServer(directory: directory, binDirectory: binDirectory, owner: geteuid() == 0 ? "postgres" : nil, tlsPort: nil)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            templateDirectory.withLock { $0 = directory }
            atexit { templateDirectory.withLock { $0 }.map { try? FileManager.default.removeItem(atPath: $0) } }
            try template.giveToOwner(directory)
            let initdb = try template.spawn("initdb", ["-D", template.dataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N"])
            guard wait(for: initdb) == 0 else { return .failure(template.failure("initdb failed")) }
            return .success(template)
        } catch let error as ServerError {
            return .failure(error)
        } catch {
            return .failure(ServerError(message: "cannot make the initdb template: \(error)"))
        }
    }()

    /// For the exit handler, which cannot capture.
    private static let templateDirectory = PThreadMutex<String?>(nil)

    /// A libpq URL for `database` over the unix socket.
    package func url(database: String = "postgres") -> String {
        "postgresql://postgres@/\(database)?host=\(directory)"
    }

    /// What `pg_ctl restart -m fast` does: a fast shutdown (clients are disconnected), then a start.
    package func restart() throws {
        shutDown()
        try launch()
    }

    /// Fast shutdown by the postmaster's PID, then the folder goes.
    package func stop() {
        shutDown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A verify-full URL to the TLS port, trusting `rootCertificate` (the test CA unless given).
    package func tlsURL(host: String = "localhost", rootCertificate: String? = nil) -> String {
        let root = rootCertificate ?? "\(directory)/ca.pem"
        return "postgresql://postgres@\(host):\(tlsPort ?? 0)/postgres?sslmode=verify-full&sslrootcert=\(root)&connect_timeout=5"
    }

    private func launch() throws {
        // Enough connections for the app tests, whose harnesses each open a pool, running side by side.
        var options = ["-c", "max_connections=500", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        if let tlsPort {
            options += [
                "-c", "listen_addresses=127.0.0.1", "-p", "\(tlsPort)", "-c", "ssl=on",
                "-c", "ssl_cert_file=\(directory)/server.pem", "-c", "ssl_key_file=\(directory)/server.key",
            ]
        } else {
            options += ["-c", "listen_addresses="]
        }
        let pid = try spawn("postgres", ["-D", dataDirectory, "-k", directory] + options, output: "server.log")
        child.withLock { $0 = pid }
        // As pg_ctl -w does: the postmaster's PID file says "ready" once it accepts connections.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            // Line 8 is the status; line 6 (listen addresses) is empty here, so empty lines must count.
            let lines = (try? String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8))?
                .split(separator: "\n", omittingEmptySubsequences: false) ?? []
            if lines.count >= 8, lines[7].hasPrefix("ready") {
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                child.withLock { $0 = nil }
                throw failure("postgres exited at start (status \(status))")
            }
            usleep(20_000)
        }
        throw failure("postgres did not become ready within 60 s")
    }

    /// SIGINT is PostgreSQL's fast shutdown; the postmaster's own PID, since runuser may stand between.
    private func shutDown() {
        guard let pid = child.withLock({ pid in defer { pid = nil }; return pid }) else { return }
        if let text = try? String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8),
           let postmaster = text.split(separator: "\n").first.flatMap({ pid_t($0) }) {
            kill(postmaster, SIGINT)
        } else {
            kill(pid, SIGINT)
        }
        _ = Self.wait(for: pid)
    }

    /// posix_spawn and waitpid rather than `Process`, whose exit notification never arrived while
    /// several suites started their servers at once; output goes to a file, so no pipe can fill or hang.
    private func spawn(_ tool: String, _ arguments: [String], output: String? = nil) throws -> pid_t {
        let command = owner.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []
        return try Self.spawn(command + ["\(binDirectory)/\(tool)"] + arguments, output: "\(directory)/\(output ?? "\(tool).out")")
    }

    private static func spawn(_ argv: [String], output outputPath: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw ServerError(message: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// A test CA, a server certificate for DNS:localhost only, and a second CA that signed nothing here.
    private func makeCertificates() throws {
        let file = { (name: String) in "\(self.directory)/\(name)" }
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try "subjectAltName=DNS:localhost\n".write(toFile: file("server.ext"), atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509"] + ecKey + ["-keyout", file("ca.key"), "-out", file("ca.pem"), "-subj", "/CN=test-ca", "-days", "2"],
            ["req", "-x509"] + ecKey + ["-keyout", file("other-ca.key"), "-out", file("other-ca.pem"), "-subj", "/CN=other-ca", "-days", "2"],
            ["req", "-new"] + ecKey + ["-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost"],
            [
                "x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
                "-set_serial", "1", "-days", "2", "-extfile", file("server.ext"), "-out", file("server.pem"),
            ],
        ] {
            let pid = try Self.spawn(["/usr/bin/openssl"] + arguments, output: file("openssl.out"))
            guard Self.wait(for: pid) == 0 else { throw failure("openssl \(arguments[0]) failed") }
        }
        // PostgreSQL refuses a key that others can read.
        chmod(file("server.key"), 0o600)
        try giveToOwner(file("server.key"))
    }

    /// Hands a path to the user the server runs as (when that is not this process's user).
    private func giveToOwner(_ path: String) throws {
        guard let owner else { return }
        guard let account = getpwnam(owner) else {
            throw ServerError(message: "running as root, and there is no '\(owner)' user to run PostgreSQL as")
        }
        chown(path, account.pointee.pw_uid, account.pointee.pw_gid)
    }

    /// A port the kernel just handed out on 127.0.0.1; free again once the probe socket closes.
    private static func freeLoopbackPort() throws -> Int {
        let (probe, port) = try boundLoopbackSocket(listening: false)
        close(probe)
        return port
    }

    /// A socket bound to a fresh port on 127.0.0.1, listening when asked: the kernel then completes a client's
    /// connection though nobody accepts it (a server that never answers). The caller closes it.
    public static func boundLoopbackSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && (!listening || listen(descriptor, 8) == 0) && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ServerError(message: "no free loopback port: \(reason)")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func wait(for pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        return status
    }

    private func failure(_ summary: String) -> ServerError {
        let outputs = ["initdb.out", "cp.out", "openssl.out", "server.log"].compactMap { try? String(contentsOfFile: "\(directory)/\($0)", encoding: .utf8) }
        return ServerError(message: "\(summary):\n\(outputs.joined(separator: "\n").suffix(3000))")
    }

    package struct ServerError: Error, CustomStringConvertible {
        package let message: String
        package var description: String { message }

        package init(message: String) {
            self.message = message
        }
    }
}

