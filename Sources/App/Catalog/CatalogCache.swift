import Foundation
import Fullscript
import Locking
import Logging

/// Names for what plans carry as ids: products from Fullscript's catalog (per region), practitioners
/// from the tenant's clinic. Kept in the database for `ttl`, so every chart of every process reads
/// them from there; a lookup runs once per key at a time (`SingleFlight`), and looks in the database
/// again before calling, so requests racing a lookup that just finished do not repeat it. A failure
/// is remembered for `retry` and answers what was known before, or nothing: the caller shows ids.
struct CatalogCache: Sendable {
    let store: CatalogStore
    let clients: FullscriptClients
    let regions: TenantRegions
    let vault: TokenVault
    let ttl: Duration
    let retry: Duration
    /// How long a read waits for names it has to ask Fullscript for.
    let wait: Duration
    let logger: Logger
    let now: @Sendable () -> Date
    let variantLookups = SingleFlight<CatalogVariant?>()
    let practitionerLookups = SingleFlight<[String: String]?>()

    /// Catalog lookups at once for one read: a chart of many new products fills quickly without
    /// taking every connection to Fullscript.
    static let concurrentLookups = 4

    /// The variants of `ids` that are known, for a chart of `tenant`.
    func variants(_ ids: Set<String>, for tenant: String) async -> [String: CatalogVariant] {
        guard !ids.isEmpty else { return [:] }
        do {
            guard let region = try await regions.region(of: tenant) else { return [:] }
            let cached = try await store.variants(ids, region: region)
            let date = now()
            var known = cached.compactMapValues(\.value)
            let due = ids.filter { cached[$0]?.isFresh(at: date) != true }.sorted()
            guard !due.isEmpty else { return known }
            // The lookups run on by themselves: a reader waits for them `wait` at most, then shows ids for
            // what is still unnamed, and a later read finds the names in the store.
            let lookups = Task { await lookUp(due, region: region, for: tenant) }
            for (id, variant) in await Self.first(of: lookups, within: wait) ?? [:] { known[id] = variant }
            return known
        } catch {
            logger.warning("catalog cache unreadable", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            return [:]
        }
    }

    /// Looks up `ids`, a few at a time, each at most once at a time across readers, all through one
    /// account of the tenant (finding one reads the store, and may refresh its token).
    private func lookUp(_ ids: [String], region: FullscriptRegion, for tenant: String) async -> [String: CatalogVariant] {
        let client: FullscriptClient
        let connection: FullscriptConnection
        do {
            client = try await clients.client(for: tenant)
            connection = try await vault.serviceConnection(in: tenant, kind: nil)
        } catch {
            // Nobody of the tenant can ask Fullscript just now: nothing was asked, so nothing is remembered.
            if !(error is TokenVaultError) {
                logger.warning("catalog lookup has no account", metadata: ["tenant": "\(tenant)", "error": "\(WebhookProcessor.describe(error))"])
            }
            return [:]
        }
        return await withTaskGroup(of: (String, CatalogVariant?).self) { group in
            var found: [String: CatalogVariant] = [:]
            var waiting = ids[...]
            func start(_ id: String) {
                group.addTask {
                    (id, try? await variantLookups.run("\(region.rawValue):\(id)") {
                        try await lookUp(id, region: region, through: connection, of: client)
                    })
                }
            }
            for id in waiting.prefix(Self.concurrentLookups) { start(id) }
            waiting = waiting.dropFirst(Self.concurrentLookups)
            while let (id, variant) = await group.next() {
                if let variant { found[id] = variant }
                if let next = waiting.popFirst() { start(next) }
            }
            return found
        }
    }

    /// `task`'s value if it ends within `limit`, else nil; `task` goes on either way.
    private static func first<Value: Sendable>(of task: Task<Value, Never>, within limit: Duration) async -> Value? {
        let (outcomes, continuation) = AsyncStream<Value?>.makeStream(bufferingPolicy: .bufferingOldest(1))
        Task {
            continuation.yield(await task.value)
            continuation.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            continuation.yield(nil)
            continuation.finish()
        }
        var iterator = outcomes.makeAsyncIterator()
        let outcome = await iterator.next() ?? nil
        timer.cancel()
        return outcome
    }

    /// The names of the clinic's practitioners, by id; empty when never learned.
    func practitionerNames(in tenant: String) async -> [String: String] {
        do {
            let cached = try await store.practitionerNames(in: tenant)
            if let cached, cached.isFresh(at: now()) { return cached.value ?? [:] }
            let lookup = Task { try? await practitionerLookups.run(tenant) { try await lookUpPractitioners(in: tenant) } }
            return (await Self.first(of: lookup, within: wait) ?? nil) ?? cached?.value ?? [:]
        } catch {
            logger.warning("practitioner names unreadable", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            return [:]
        }
    }

    private func lookUp(_ id: String, region: FullscriptRegion, through connection: FullscriptConnection,
                        of client: FullscriptClient) async throws -> CatalogVariant? {
        let cached = try await store.variants([id], region: region)[id]
        if let cached, cached.isFresh(at: now()) { return cached.value }
        let found: CatalogVariant?
        let keep: Duration
        do {
            found = try await vault.withFreshToken(connection) { try await client.variant(accessToken: $0, id: id) }
            keep = ttl
        } catch TokenVaultError.reconnectRequired {
            // The account was disconnected meanwhile: nothing was asked, so nothing is remembered.
            return cached?.value
        } catch let error as FullscriptError where error.kind == .notFound {
            found = nil
            keep = ttl
        } catch {
            logger.warning("catalog lookup failed", metadata: ["variant": "\(id)", "region": "\(region.rawValue)",
                                                              "error": "\(WebhookProcessor.describe(error))"])
            found = nil
            keep = retry
        }
        let date = now()
        try await store.save(found, id: id, region: region, at: date, expiresAt: date + keep.timeInterval)
        return found ?? cached?.value
    }

    private func lookUpPractitioners(in tenant: String) async throws -> [String: String]? {
        let cached = try await store.practitionerNames(in: tenant)
        if let cached, cached.isFresh(at: now()) { return cached.value }
        var names: [String: String]? = [:]
        let keep: Duration
        do {
            let client = try await clients.client(for: tenant)
            let connection = try await vault.serviceConnection(in: tenant, kind: nil)
            let practitioners = try await vault.withFreshToken(connection) { try await client.allPractitioners(accessToken: $0) }
            for practitioner in practitioners {
                names?[practitioner.id] = [practitioner.firstName, practitioner.lastName].filter { !$0.isEmpty }.joined(separator: " ")
            }
            keep = ttl
        } catch TokenVaultError.reconnectRequired {
            return cached?.value
        } catch {
            logger.warning("practitioner names lookup failed", metadata: ["tenant": "\(tenant)", "error": "\(WebhookProcessor.describe(error))"])
            names = nil
            keep = retry
        }
        let date = now()
        try await store.savePractitionerNames(names, in: tenant, at: date, expiresAt: date + keep.timeInterval)
        return names ?? cached?.value
    }
}
