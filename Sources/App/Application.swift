public import Foundation
import Fullscript
import HTTPClient
import Locking
import PostgresStore
public import Logging
public import Server
public import ServiceLifecycle
import Store
import HTTPTypes
import UnixSignals

/// The running program: configuration, database and HTTP server wired together.
public final class Application: Sendable {
    public let config: AppConfig
    public let server: HTTPServer
    let database: any SQLDatabase
    let httpClient: HTTPClient
    let vault: TokenVault
    let patients: PatientStore
    let plans: TreatmentPlanStore
    let orders: OrderStore
    let planUpdates = PlanUpdates()
    let webhooks: WebhookProcessor
    let patientSync: PatientSync
    let metrics = AppMetrics()
    let logger: Logger
    let now: @Sendable () -> Date
    /// `Router.registeredRoutes` of the server, for the test that the OpenAPI document covers them.
    let routes: [String]

    public var port: Int { server.port }

    /// Where Fullscript (or the simulator) delivers webhooks: over loopback when we listen on every address.
    public var webhookURL: String {
        let host = config.server.host
        let reachable = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
        return "http://\(reachable):\(port)\(WebhookRoutes.path)"
    }

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
        database = try Self.openDatabase(config.database)
        do {
            httpClient = try HTTPClient(configuration: config.fullscript.httpClientConfiguration, logger: logger)
        } catch {
            database.close()
            throw error
        }
        let regions = TenantRegions(database: database)
        let fullscript = config.fullscript.clients(over: httpClient, regions: regions, logger: logger, metrics: metrics)
        let clickCalls = config.fullscript.clients(over: httpClient, regions: regions, deadline: config.fullscript.clickTimeout,
                                                   logger: logger, metrics: metrics)
        vault = TokenVault(database: database, keys: config.tokenKeys, clients: fullscript, metrics: metrics, logger: logger, now: now)
        patients = PatientStore(database: database)
        plans = TreatmentPlanStore(database: database)
        orders = OrderStore(database: database)
        let patientSync = PatientSync(outbox: PatientSyncStore(database: database), patients: patients, vault: vault, clients: fullscript,
                                      settings: config.fullscript, logger: logger, now: now)
        self.patientSync = patientSync
        let wakeOutbox: @Sendable () -> Void = { patientSync.signal() }
        webhooks = WebhookProcessor(inbox: WebhookEventStore(database: database), plans: plans, orders: orders, patients: patients, vault: vault,
                                    clients: fullscript, wakeOutbox: wakeOutbox, source: .webhook, metrics: metrics,
                                    logger: logger, now: now)
        self.now = now
        do {
            let runner = MigrationRunner(
                database: database, migrations: try Migrations.load(fromPath: config.database.migrationsDirectory, for: database.dialect), logger: logger
            )
            try await Self.bringSchemaUpToDate(runner, autoMigrate: config.database.autoMigrate)
            try await TenantStore(database: database, now: now).placeDefaultTenant(servedBy: config.fullscript)
            try ChartChanges.deliver(from: database, to: planUpdates)
            let origin = config.ehr.publicBaseURL
            let securityHeaders = SecurityHeaders(publicBaseURL: origin)
            let router = Router(renderError: securityHeaders.securing { error, _, _ in .text(error.message, status: error.status) })
            let apiErrors = securityHeaders.securing(APIError.render)
            let sessions = SessionStore(database: database, settings: config.ehr, now: now)
            let identity = identity ?? sessions
            let serviceKeys = ServiceKeyStore(database: database, now: now)
            let signInPath = config.ehr.demoSignIn ? DemoSignInRoutes.path : nil
            let signIn = SignInFirst(signInPath: signInPath)

            // Every cross-cutting rule, by group. A route gets exactly its group's middleware, whatever
            // spelling of its path the client sent.
            let userBuckets = TokenBuckets(perMinute: config.rateLimits.userPerMinute, burst: config.rateLimits.userBurst, now: now)
            let serviceBuckets = TokenBuckets(perMinute: config.rateLimits.servicePerMinute, burst: config.rateLimits.serviceBurst, now: now)
            // The launch token's `patient` and `roles` claims (`PatientBinding`, `ActingRoleCheck`): every
            // group a signed-in user reaches declares the path parameter naming its patient, if any.
            let access = SessionAccess(identity: identity, database: database, now: now)
            router.add(middleware: securityHeaders)
            // Pages a browser navigates to without our session: the launch link, Fullscript's redirect back.
            let pages = router.group().add(middleware: DatabaseUnavailableRecovery(audience: .people, logger: logger))
            // What a signed-in user does in a browser: from our own pages only, within their allowance.
            let session = pages
                .add(middleware: OriginCheck(publicBaseURL: origin, audience: .people))
                .add(middleware: RateLimit(caller: .ehrUser(identity), buckets: userBuckets, audience: .people))
                .add(middleware: PatientBinding(access: access, patientParameter: nil, audience: .people))
            // Connecting and disconnecting Fullscript: not for a viewer.
            let fullscriptConnection = session.add(middleware: ActingRoleCheck(access: access, action: .connect, audience: .people))
            // A click makes a draft, so even its GET must not come from another site.
            var clicks = pages
                .add(middleware: OriginCheck(publicBaseURL: origin, navigations: .refusedFromOtherSites, audience: .people))
            // Where the sessions sign users in and each request reads its own, a click's reads go with it.
            if let sessions = identity as? SessionStore, sessions.seen != nil { clicks = clicks.add(middleware: ClickReadAhead(sessions: sessions)) }
            clicks = clicks
                .add(middleware: RateLimit(caller: .ehrUser(identity), buckets: userBuckets, audience: .people))
                .add(middleware: PatientBinding(access: access, patientParameter: RecommendRoutes.patientParameter, audience: .people))
                .add(middleware: ActingRoleCheck(access: access, action: .recommend, audience: .people))
            // Opening a plan in Fullscript, like a click; on one plan of the patient's, which the route checks is theirs.
            let planOpens = pages
                .add(middleware: OriginCheck(publicBaseURL: origin, navigations: .refusedFromOtherSites, audience: .people))
                .add(middleware: RateLimit(caller: .ehrUser(identity), buckets: userBuckets, audience: .people))
                .add(middleware: PatientBinding(access: access, patientParameter: RecommendRoutes.patientParameter,
                                                patientsOwn: [PlanActionRoutes.planParameter], audience: .people))
                .add(middleware: ActingRoleCheck(access: access, action: .openPlan, audience: .people))
            // The demo EHR's pages read these with the session cookie.
            let chartAPI = router.group("/ehr/api", renderError: apiErrors)
                .add(middleware: DatabaseUnavailableRecovery(audience: .programs, logger: logger))
                .add(middleware: OriginCheck(publicBaseURL: origin, audience: .programs))
                .add(middleware: RateLimit(caller: .ehrUser(identity), buckets: userBuckets, audience: .programs))
            let chart = chartAPI
                .add(middleware: PatientBinding(access: access, patientParameter: EHRRoutes.patientParameter, audience: .programs))
            // A refresh asks Fullscript through the user's own connection: acting, so not for a viewer.
            let planRefreshes = chart.add(middleware: ActingRoleCheck(access: access, action: .refreshPlans, audience: .programs))
            // Cancelling a plan: acting, and on one plan of the patient's, which the route checks is theirs.
            let planCancels = chartAPI
                .add(middleware: PatientBinding(access: access, patientParameter: EHRRoutes.patientParameter,
                                                patientsOwn: [PlanActionRoutes.planParameter], audience: .programs))
                .add(middleware: ActingRoleCheck(access: access, action: .cancelPlan, audience: .programs))
            // Internal services, with service keys.
            let services = router.group("/api", renderError: apiErrors).group("v1")
                .add(middleware: DatabaseUnavailableRecovery(audience: .programs, logger: logger))
                .add(middleware: RateLimit(caller: .serviceKey(serviceKeys), buckets: serviceBuckets, audience: .programs))
            let operations = router.group()
                .add(middleware: RateLimit(caller: .serviceKey(serviceKeys), buckets: serviceBuckets, audience: .programs))
            // Fullscript, authenticated by each event's signature.
            let webhookReceivers = router.group(WebhookRoutes.prefix, renderError: apiErrors)
                .add(middleware: DatabaseUnavailableRecovery(audience: .programs, logger: logger))

            let readiness = Readiness()
            HealthRoutes(database: database, runner: runner, readiness: readiness).register(on: router.group())
            LaunchRoutes(sessions: sessions, settings: config.ehr, now: now).register(pages: pages, session: session)
            if config.ehr.demoSignIn {
                DemoSignInRoutes(settings: config.ehr, now: now).register(pages: pages, session: session)
            }
            OAuthConnectRoutes(
                vault: vault, clients: fullscript, database: database, identity: identity, patientSync: patientSync,
                secureCookies: config.ehr.secureCookies, chartURL: config.ehr.chartURL, pinning: config.tenantPinning, webhooks: webhooks,
                now: now
            ).register(pages: pages, session: fullscriptConnection)
            let recommendations = RecommendationLog(database: database)
            EHRRoutes(
                identity: identity, vault: vault, patients: patients, tenants: TenantStore(database: database, now: now), log: recommendations,
                patientEmailDomains: config.fullscript.emailDomainGuard, signInPath: signInPath, regions: regions
            ).register(on: chart)
            RecommendRoutes(
                identity: identity, vault: vault, clients: fullscript, clickClients: clickCalls, clicksInFlight: SingleFlight(),
                patients: patients, clickRead: ClickRead(database: database, vault: vault, now: now), log: recommendations, settings: config.fullscript, wakeOutbox: wakeOutbox, signIn: signIn,
                logger: logger, now: now
            ).register(on: clicks)
            OpeningRoutes(identity: identity, patients: patients, signIn: signIn, regions: regions).register(on: clicks)
            PatientRoutes(patients: patients, serviceKeys: serviceKeys, sync: patientSync, now: now).register(on: services)
            TenantRoutes(tenants: TenantStore(database: database, now: now), serviceKeys: serviceKeys).register(on: services)
            let catalog = CatalogCache(
                store: CatalogStore(database: database), clients: fullscript, regions: regions, vault: vault,
                ttl: config.fullscript.catalogTTL, retry: config.fullscript.catalogRetry, wait: config.fullscript.catalogWait,
                logger: logger, now: now
            )
            let describer = PlanDescriber(catalog: catalog)
            PlanActionRoutes(
                identity: identity, vault: vault, clickClients: clickCalls, patients: patients, plans: plans,
                describer: describer, signIn: signIn, signInPath: signInPath, logger: logger, now: now
            ).register(opens: planOpens, cancels: planCancels)
            PlanRoutes(
                identity: identity, vault: vault, patients: patients, plans: plans, updates: planUpdates,
                refresher: PlanRefresh(clients: fullscript, vault: vault, patients: patients, plans: plans, orders: orders, wakeOutbox: wakeOutbox, now: now),
                describer: describer,
                serviceKeys: serviceKeys, signInPath: signInPath, heartbeat: config.planStreamHeartbeat, logger: logger
            ).register(chart: chart, refreshes: planRefreshes, services: services)
            MedicationStatementRoutes(patients: patients, plans: plans, describer: describer, serviceKeys: serviceKeys, now: now)
                .register(on: services)
            let webhookRoutes = WebhookRoutes(
                settings: config.fullscript.webhook, inbox: webhooks.inbox, router: WebhookTenantRouter(database: database),
                processor: webhooks, metrics: metrics, logger: logger, now: now
            )
            webhookRoutes.register(on: webhookReceivers)
            if let other = config.fullscript.otherApp {
                var otherRoutes = webhookRoutes
                otherRoutes.settings = other.webhook
                otherRoutes.name = "fullscript/" + other.region.rawValue
                otherRoutes.register(on: webhookReceivers)
            }
            MetricsRoute(metrics: metrics, serviceKeys: serviceKeys, planUpdates: planUpdates).register(on: operations)
            let files = try StaticFiles(root: config.publicDirectory)
            router.fallback = { request in
                var response = files.respond(to: request)
                // The drop-in button is a module script loaded by EHR pages on other origins.
                if request.path == "/fullscript-button.js" { response.headerFields[.accessControlAllowOrigin] = "*" }
                return response
            }
            routes = router.registeredRoutes
            server = try HTTPServer(
                configuration: config.server, router: router, readiness: readiness, logger: logger, metrics: metrics.factory
            )
        } catch {
            await httpClient.shutdown()
            database.close()
            throw error
        }
    }

    /// PostgreSQL when a URL is configured, opening the whole pool (a wrong URL fails here). Otherwise
    /// SQLite: creates the database's folder 0700 and its file 0600 before SQLite opens it, and tightens
    /// ones an earlier run left readable to others (`DatabaseFiles`): the file holds patient data.
    /// `doctor`, which changes nothing, opens without that (`securingFiles: false`) and reports the modes.
    static func openDatabase(_ settings: DatabaseSettings, securingFiles: Bool = true) throws -> any SQLDatabase {
        if let postgres = settings.postgres {
            return try PostgresDatabase(
                connectionString: postgres, poolSize: settings.poolSize, briefConnectionsPerLoop: settings.loopConnections,
                statementTimeout: .milliseconds(settings.statementTimeoutMilliseconds)
            )
        }
        if securingFiles { try DatabaseFiles.secure(settings.path) }
        return try Database(path: settings.path, readerCount: settings.readers, busyTimeout: .milliseconds(settings.busyTimeoutMilliseconds))
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

    /// What the demo's clicks may send to the simulator (`fullscript.patient_email_domains`): its seeded patients' domains.
    public static let demoPatientEmailDomains = DemoSeed.patientEmailDomains.joined(separator: ",")

    /// The demo EHR's practices and patients, as internal services would have sent them, and a fresh
    /// service key per practice for trying `/api/v1` (returned to print once; earlier demo keys are revoked).
    public func seedDemoData() async throws -> [(practice: String, key: String)] {
        try await DemoSeed.seed(TenantStore(database: database, now: now), patients, region: config.fullscript.app.region, at: now())
        return try await DemoSeed.serviceKeys(ServiceKeyStore(database: database, now: now))
    }

    /// Serves, and applies webhook events, starting with those a previous run stored but did not process.
    public func start() throws {
        try server.start()
        webhooks.start()
        patientSync.start()
    }

    /// Serves until SIGTERM or SIGINT, then drains and closes. The HTTP server and the webhook processor
    /// run as services of one `ServiceGroup`, which traps the signals before either starts and shuts them
    /// down in reverse order: the server drains first (a request in flight may still store a webhook
    /// event), then the processor stops after the event in hand. `others` (the demo's simulator) start
    /// first and stop last.
    public func run(alongside others: [any Service] = []) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: others + [WebhookProcessorService(processor: webhooks), PatientSyncService(sync: patientSync), HTTPServerService(server: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            await closeClientAndDatabase()
            throw error
        }
        await closeClientAndDatabase()
    }

    /// For a caller of `start` (the tests); `run` does the same itself.
    public func shutdown() async {
        await server.shutdown()
        await webhooks.stop()
        await patientSync.stop()
        await closeClientAndDatabase()
    }

    private func closeClientAndDatabase() async {
        await httpClient.shutdown()
        database.close()
    }
}
