import Foundation
import Fullscript
import HTTPClient
import Logging
import Server
import Store

/// The running program: configuration, database and HTTP server wired together.
public final class Application: Sendable {
    public let config: AppConfig
    public let server: HTTPServer
    let database: Database
    let httpClient: HTTPClient
    let vault: TokenVault
    let patients: PatientStore
    let plans: TreatmentPlanStore
    let planUpdates = PlanUpdates()
    let webhooks: WebhookProcessor
    let metrics = AppMetrics()
    let logger: Logger
    let now: @Sendable () -> Date
    /// `Router.registeredRoutes` of the server, for the test that the OpenAPI document covers them.
    let routes: [String]

    public var port: Int { server.port }

    /// Opens the database, brings its schema up to date (or refuses to start when it is behind and
    /// auto-migration is off, or when an applied migration file has changed), and binds the port.
    public init(
        config: AppConfig,
        logger: Logger,
        identity: (any EHRIdentityProvider)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) async throws {
        self.config = config
        self.logger = logger
        database = try Self.openDatabase(config)
        do {
            httpClient = try HTTPClient(configuration: config.fullscript.httpClientConfiguration, logger: logger)
        } catch {
            database.close()
            throw error
        }
        let fullscript = config.fullscript.client(over: httpClient, logger: logger, metrics: metrics)
        vault = TokenVault(database: database, keys: config.tokenKeys, client: fullscript, metrics: metrics, logger: logger, now: now)
        patients = PatientStore(database: database)
        plans = TreatmentPlanStore(database: database)
        webhooks = WebhookProcessor(inbox: WebhookEventStore(database: database), plans: plans, patients: patients, vault: vault,
                                    client: fullscript, updates: planUpdates, source: .webhook, metrics: metrics, logger: logger,
                                    now: now)
        self.now = now
        do {
            let runner = MigrationRunner(
                database: database, migrations: try Migrations.load(fromPath: config.migrationsDirectory), logger: logger
            )
            try await Self.bringSchemaUpToDate(runner, autoMigrate: config.autoMigrate)
            var router = Router()
            HealthRoutes(database: database, runner: runner).register(on: &router)
            let sessions = SessionStore(database: database, settings: config.ehr, now: now)
            let identity = identity ?? sessions
            let signInPath = config.ehr.demoSignIn ? DemoSignInRoutes.path : nil
            LaunchRoutes(sessions: sessions, settings: config.ehr, now: now).register(on: &router)
            if config.ehr.demoSignIn {
                DemoSignInRoutes(settings: config.ehr, now: now).register(on: &router)
            }
            OAuthConnectRoutes(
                vault: vault, client: fullscript, database: database, identity: identity,
                secureCookies: config.ehr.secureCookies, now: now
            ).register(on: &router)
            EHRRoutes(identity: identity, vault: vault, patients: patients, signInPath: signInPath).register(on: &router)
            RecommendRoutes(
                identity: identity, vault: vault, client: fullscript, patients: patients, log: RecommendationLog(database: database),
                settings: config.fullscript, signInPath: signInPath, logger: logger, now: now
            ).register(on: &router)
            let serviceKeys = ServiceKeyStore(database: database, now: now)
            PatientRoutes(patients: patients, serviceKeys: serviceKeys, now: now).register(on: &router)
            PlanRoutes(
                identity: identity, vault: vault, patients: patients, plans: plans, updates: planUpdates,
                refresher: PlanRefresh(client: fullscript, vault: vault, patients: patients, plans: plans, updates: planUpdates, now: now),
                serviceKeys: serviceKeys, signInPath: signInPath, heartbeat: config.planStreamHeartbeat, logger: logger
            ).register(on: &router)
            WebhookRoutes(
                settings: config.fullscript.webhook, inbox: webhooks.inbox, processor: webhooks, metrics: metrics, logger: logger, now: now
            ).register(on: &router)
            MetricsRoute(metrics: metrics, serviceKeys: serviceKeys, planUpdates: planUpdates).register(on: &router)
            let limits = RateLimits(config.rateLimits, identity: identity, serviceKeys: serviceKeys, now: now)
            router.admission = { try await limits.admit(&$0) }
            let files = try StaticFiles(root: config.publicDirectory)
            router.fallback = { request in
                // No file lives under the paths for programs: a miss there answers in the API's shape.
                if APIError.isForPrograms(request.path) { throw HTTPError(.notFound) }
                var response = files.respond(to: request)
                // The drop-in button is a module script loaded by EHR pages on other origins.
                if request.path == "/fullscript-button.js" { response.headerFields[.accessControlAllowOrigin] = "*" }
                return response
            }
            router.renderError = APIError.renderServerError
            router.recover = { request, error in
                guard let error = error as? SQLiteError, error.isBusy else { return nil }
                let format: ReplyFormat = APIError.isForPrograms(request.path) ? .json : ReplyFormat(request)
                return Refusal.databaseBusy.response(format, requestID: request.id)
            }
            routes = router.registeredRoutes
            server = try HTTPServer(configuration: config.server, router: router, logger: logger, metrics: metrics.factory)
        } catch {
            await httpClient.shutdown()
            database.close()
            throw error
        }
    }

    /// Creates the database's folder 0700 and its file 0600 before SQLite opens it, and tightens ones
    /// an earlier run left readable to others (`DatabaseFiles`): the file holds patient data.
    /// `doctor`, which changes nothing, opens without that (`securingFiles: false`) and reports the modes.
    static func openDatabase(_ config: AppConfig, securingFiles: Bool = true) throws -> Database {
        if securingFiles { try DatabaseFiles.secure(config.databasePath) }
        return try Database(
            path: config.databasePath, readerCount: config.databaseReaders,
            busyTimeout: .milliseconds(config.databaseBusyTimeoutMilliseconds)
        )
    }

    /// `applyPending` verifies applied checksums itself; without auto-migration we verify and only look.
    static func bringSchemaUpToDate(_ runner: MigrationRunner, autoMigrate: Bool) async throws {
        if autoMigrate {
            try await runner.applyPending()
            return
        }
        try await runner.verify()
        let pending = try await runner.pending()
        guard pending.isEmpty else { throw StartupError.pendingMigrations(pending.map(\.fileName)) }
    }

    /// The demo EHR's patients, as internal services would have sent them, and a fresh service key
    /// for trying `/api/v1` (returned to print once; earlier demo keys are revoked).
    public func seedDemoData() async throws -> String {
        try await DemoSeed.seed(patients, at: now())
        return try await DemoSeed.serviceKey(ServiceKeyStore(database: database, now: now))
    }

    /// Serves, and applies webhook events, starting with those a previous run stored but did not process.
    public func start() throws {
        try server.start()
        webhooks.start()
    }

    /// Serves until SIGTERM or SIGINT, then drains and closes.
    public func run() async throws {
        let signals = TerminationSignals()
        try start()
        let signal = await signals.wait()
        logger.info("signal received", metadata: ["signal": "\(signal)"])
        await shutdown()
    }

    public func shutdown() async {
        await server.shutdown()
        await webhooks.stop()
        await httpClient.shutdown()
        database.close()
    }
}

public enum StartupError: Error, CustomStringConvertible {
    case pendingMigrations([String])

    public var description: String {
        switch self {
        case .pendingMigrations(let names):
            "the database needs migrations \(names.joined(separator: ", ")); run `fullscript-redirect migrate` "
                + "or set database.auto_migrate (DATABASE_AUTO_MIGRATE) to true"
        }
    }
}
