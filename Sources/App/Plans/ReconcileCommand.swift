public import Foundation
import Fullscript
import HTTPClient
public import Logging
import Store

/// `fullscript-redirect reconcile --since 24h`: for operators, after webhooks could not reach the
/// server (an outage, a disabled endpoint). Reads Fullscript's treatment-plan events since the
/// cutoff with a connected practitioner's token, stores each in the webhook inbox (the same
/// dedupe on event id, so events already delivered change nothing, and a webhook arriving later
/// for one of these changes nothing either), then applies what is pending with the same processor
/// the server runs.
public enum ReconcileCommand {
    /// Fullscript keeps events 30 days; asking for more would silently miss the rest.
    public static let maxWindow: TimeInterval = 30 * 24 * 3600
    /// A runaway pagination (a server that always says there is a next page) stops here.
    static let maxPages = 1000

    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        /// Events Fullscript listed since the cutoff.
        public var seen = 0
        /// Of those, events we had not stored yet.
        public var new = 0
        /// Pending events processed, whether this run or an earlier delivery stored them.
        public var applied = 0
        public var ignored = 0
        public var failed = 0

        public var description: String {
            "seen \(seen), new \(new), applied \(applied), ignored \(ignored), failed \(failed)"
        }
    }

    /// `90m`, `24h` or `7d`: a whole number of minutes, hours or days, up to 30 days.
    public static func window(_ text: String) throws(ReconcileError) -> TimeInterval {
        let units: [Character: TimeInterval] = ["m": 60, "h": 3600, "d": 86_400]
        let digits = text.dropLast()
        guard let unit = text.last.flatMap({ units[$0] }), !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let count = Int(digits), count > 0 else { throw .badWindow(text) }
        let seconds = TimeInterval(count) * unit
        guard seconds <= maxWindow else { throw .windowTooLong(text) }
        return seconds
    }

    /// `pageSize` is Fullscript's maximum unless a test wants several pages.
    /// Reads through a connection of `tenant` (the practice whose clinic's events they are).
    public static func run(config: AppConfig, since window: TimeInterval, tenant: String = Tenant.defaultID, logger: Logger,
                           now: @escaping @Sendable () -> Date = Date.init, pageSize: Int = 100,
                           progress: (String) -> Void) async throws -> Summary {
        let database = try await Application.openDatabaseUpToDate(config.database, logger: logger)
        defer { database.close() }
        let httpClient = try HTTPClient(configuration: config.fullscript.httpClientConfiguration, logger: logger)
        do {
            let summary = try await reconcile(config: config, database: database, httpClient: httpClient, window: window, tenant: tenant,
                                              logger: logger, now: now, pageSize: pageSize, progress: progress)
            await httpClient.shutdown()
            return summary
        } catch {
            await httpClient.shutdown()
            throw error
        }
    }

    private static func reconcile(config: AppConfig, database: Database, httpClient: HTTPClient, window: TimeInterval, tenant: String,
                                  logger: Logger,
                                  now: @escaping @Sendable () -> Date, pageSize: Int, progress: (String) -> Void) async throws -> Summary {
        // A one-shot process: nothing scrapes its metrics, the running server's count what it serves.
        let metrics = AppMetrics()
        // As the server does at start: run before it after an upgrade, reconcile finds default in the configured region.
        try await TenantStore(database: database, now: now).placeDefaultTenant(servedBy: config.fullscript)
        let clients = config.fullscript.clients(over: httpClient, regions: TenantRegions(database: database), logger: logger, metrics: metrics)
        let client = try await clients.client(for: tenant)
        let vault = TokenVault(database: database, keys: config.tokenKeys, clients: clients, metrics: metrics, logger: logger, now: now)
        // Events are scoped to the token's clinic; a practitioner's token sees the plans they write.
        // A connection Fullscript no longer honours is skipped for the next one.
        var live: FullscriptConnection?
        for user in try await vault.connectedUsers(in: tenant, kind: .practitioner) where live == nil {
            do {
                live = try await vault.accessToken(for: user)
            } catch TokenVaultError.reconnectRequired {
                continue
            }
        }
        guard let connection = live else { throw ReconcileError.noConnectedPractitioner }
        let user = connection.user
        let inbox = WebhookEventStore(database: database)
        let cutoff = now().addingTimeInterval(-window)
        progress("Reading treatment-plan events since \(Timestamp.iso8601(cutoff)) as \(user.id).")
        var summary = Summary()
        var page = 1
        while true {
            let listing = try await vault.withFreshToken(connection) { [page] in
                try await client.events(accessToken: $0, since: cutoff, page: page, pageSize: pageSize)
            }
            var fresh = 0
            for event in listing.items {
                // Stored in the shape a webhook may have, so the processor reads both alike.
                if try await inbox.insert(event, tenant: tenant, body: JSONBody.encode(["event": event]), at: now()) { fresh += 1 }
            }
            summary.seen += listing.items.count
            summary.new += fresh
            progress("page \(page)\(listing.totalPages.map { " of \($0)" } ?? ""): \(listing.items.count) event(s), \(fresh) new")
            guard let next = listing.nextPage, next > page, !listing.items.isEmpty else { break }
            guard next <= maxPages else { throw ReconcileError.tooManyPages(maxPages) }
            page = next
        }
        let processor = WebhookProcessor(
            inbox: inbox, plans: TreatmentPlanStore(database: database), patients: PatientStore(database: database), vault: vault,
            clients: clients, updates: PlanUpdates(), source: .reconcile, metrics: metrics, logger: logger, now: now
        )
        let applied = await processor.drain()
        summary.applied = applied.applied
        summary.ignored = applied.ignored
        summary.failed = applied.failed
        return summary
    }
}

extension Application {
    /// The database for a command run beside (or instead of) the server, schema brought up to date
    /// by the same rule the server follows.
    static func openDatabaseUpToDate(_ settings: DatabaseSettings, logger: Logger) async throws -> Database {
        let database = try openDatabase(settings)
        do {
            let runner = MigrationRunner(database: database, migrations: try Migrations.load(fromPath: settings.migrationsDirectory), logger: logger)
            try await bringSchemaUpToDate(runner, autoMigrate: settings.autoMigrate)
            return database
        } catch {
            database.close()
            throw error
        }
    }
}
