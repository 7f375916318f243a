public import Foundation
import Fullscript
import HTTPClient
public import Logging
import Store

/// `fullscript-redirect reconcile --since 24h`: for operators, after webhooks could not reach the
/// server (an outage, a disabled endpoint). Reads Fullscript's treatment-plan, order and lab-order
/// events (lab orders in the US only) since the cutoff with a connected practitioner's token, stores each in the webhook inbox (the same
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

    /// `pageSize` is Fullscript's maximum unless a test wants several pages. `tenant` nil reconciles
    /// every tenant, each through a connection of its own clinic; a tenant with none is skipped, and
    /// only when no tenant has one is that an error. A named tenant must exist and have one.
    /// Reconcile never pins: a tenant not pinned yet is reported (the clinics its connections belong to,
    /// and the command that pins), and its events are not read.
    public static func run(config: AppConfig, since window: TimeInterval, tenant: String? = nil, logger: Logger,
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

    private static func reconcile(config: AppConfig, database: any SQLDatabase, httpClient: HTTPClient, window: TimeInterval, tenant: String?,
                                  logger: Logger,
                                  now: @escaping @Sendable () -> Date, pageSize: Int, progress: (String) -> Void) async throws -> Summary {
        // A one-shot process: nothing scrapes its metrics, the running server's count what it serves.
        let metrics = AppMetrics()
        let tenantStore = TenantStore(database: database, now: now)
        // As the server does at start: run before it after an upgrade, reconcile finds default in the configured region.
        try await tenantStore.placeDefaultTenant(servedBy: config.fullscript)
        let tenants: [Tenant]
        if let tenant {
            guard let found = try await tenantStore.find(tenant) else { throw ReconcileError.unknownTenant(tenant) }
            tenants = [found]
        } else {
            tenants = try await tenantStore.list()
        }
        let clients = config.fullscript.clients(over: httpClient, regions: TenantRegions(database: database), logger: logger, metrics: metrics)
        let vault = TokenVault(database: database, keys: config.tokenKeys, clients: clients, metrics: metrics, logger: logger, now: now)
        let inbox = WebhookEventStore(database: database)
        let cutoff = now().addingTimeInterval(-window)
        var summary = Summary()
        var reconciled = 0
        var unpinned: [String] = []
        for tenant in tenants {
            let client = try await clients.client(for: tenant.id)
            guard tenant.fullscriptClinicID != nil else {
                try await reportUnpinned(tenant, vault: vault, client: client, progress: progress)
                unpinned.append(tenant.id)
                continue
            }
            guard let connection = try await clinicConnection(of: tenant, vault: vault) else {
                if tenants.count > 1 { progress("Tenant \(tenant.id): no practitioner of its clinic is connected; skipped.") }
                continue
            }
            reconciled += 1
            let offersLabs = try await clients.regions.offersLabs(in: tenant.id)
            for list in EventList.allCases where list != .labOrders || offersLabs {
                let (seen, new) = try await store(list, of: tenant, since: cutoff, through: connection, vault: vault, client: client, inbox: inbox,
                                                  pageSize: pageSize, now: now, progress: progress)
                summary.seen += seen
                summary.new += new
            }
        }
        guard reconciled > 0 else { throw unpinned.isEmpty ? ReconcileError.noConnectedPractitioner : ReconcileError.notPinned(unpinned) }
        let processor = WebhookProcessor(
            inbox: inbox, plans: TreatmentPlanStore(database: database), orders: OrderStore(database: database),
            patients: PatientStore(database: database), vault: vault,
            clients: clients, source: .reconcile, metrics: metrics, logger: logger, now: now
        )
        let applied = await processor.drain()
        summary.applied = applied.applied
        summary.ignored = applied.ignored
        summary.failed = applied.failed
        return summary
    }

    /// Stores the `list`'s events since `cutoff` in the inbox, page by page; returns how many were listed and how many were new.
    private static func store(_ list: EventList, of tenant: Tenant, since cutoff: Date, through connection: FullscriptConnection,
                              vault: TokenVault, client: FullscriptClient, inbox: WebhookEventStore, pageSize: Int, now: @escaping @Sendable () -> Date,
                              progress: (String) -> Void) async throws -> (seen: Int, new: Int) {
        progress("Reading \(list.rawValue) events of tenant \(tenant.id) since \(Timestamp.iso8601(cutoff)) as \(connection.user.id).")
        var (seen, new) = (0, 0)
        var page = 1
        while true {
            let listing = try await vault.withFreshToken(connection) { [page] in
                try await client.events(accessToken: $0, list: list, since: cutoff, page: page, pageSize: pageSize)
            }
            var fresh = 0
            for event in listing.items {
                // Stored in the shape a webhook may have, so the processor reads both alike. The events API
                // lists the token's clinic only, which is the tenant's.
                if try await inbox.insert(event, tenant: tenant.id, body: JSONBody.encode(["event": event]), at: now()) { fresh += 1 }
            }
            seen += listing.items.count
            new += fresh
            progress("page \(page)\(listing.totalPages.map { " of \($0)" } ?? ""): \(listing.items.count) event(s), \(fresh) new")
            guard let next = listing.nextPage, next > page, !listing.items.isEmpty else { return (seen, new) }
            guard next <= maxPages else { throw ReconcileError.tooManyPages(maxPages) }
            page = next
        }
    }

    /// A live connection of one of the tenant's practitioners whose account is in the tenant's clinic
    /// (`serviceConnection` uses no other): events are scoped to the token's clinic, and a practitioner's
    /// token sees the plans they write.
    private static func clinicConnection(of tenant: Tenant, vault: TokenVault) async throws -> FullscriptConnection? {
        do {
            return try await vault.serviceConnection(in: tenant.id)
        } catch TokenVaultError.reconnectRequired {
            return nil
        }
    }

    /// What the operator needs to pin `tenant`: which clinics its connected accounts belong to, as Fullscript
    /// says now, and the command. The names are Fullscript data, printed to a terminal: printable only.
    private static func reportUnpinned(_ tenant: Tenant, vault: TokenVault, client: FullscriptClient,
                                       progress: (String) -> Void) async throws {
        var clinics: [(clinic: Clinic, users: [String])] = []
        for user in try await vault.connectedUsers(in: tenant.id) {
            guard let connection = try? await vault.accessToken(for: user),
                  let clinic = try? await vault.withFreshToken(connection, { try await client.clinic(accessToken: $0) }) else { continue }
            if let index = clinics.firstIndex(where: { $0.clinic.id == clinic.id }) {
                clinics[index].users.append(user.id)
            } else {
                clinics.append((clinic, [user.id]))
            }
        }
        let found = clinics.isEmpty ? "none of its connections could tell its clinic"
            : "its connections belong to " + clinics.map { "\($0.clinic.id) (\($0.clinic.name)): \($0.users.joined(separator: ", "))" }
                .joined(separator: "; ")
        progress(TextTable.printable(
            "Tenant \(tenant.id) is not pinned to a Fullscript clinic, so its events are not read; \(found). "
                + "Pin the practice's own clinic: `fullscript-redirect tenants pin \(tenant.id) CLINIC_ID`."
        ))
    }
}

extension Application {
    /// The database for a command run beside (or instead of) the server, schema brought up to date
    /// by the same rule the server follows.
    static func openDatabaseUpToDate(_ settings: DatabaseSettings, logger: Logger) async throws -> any SQLDatabase {
        let database = try openDatabase(settings)
        do {
            let runner = MigrationRunner(database: database, migrations: try Migrations.load(fromPath: settings.migrationsDirectory, for: database.dialect), logger: logger)
            try await bringSchemaUpToDate(runner, autoMigrate: settings.autoMigrate)
            return database
        } catch {
            database.close()
            throw error
        }
    }
}
