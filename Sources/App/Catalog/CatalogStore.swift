import Foundation
import Fullscript
import Store

/// The database side of `CatalogCache`: catalog variants by region, practitioners' names by tenant,
/// each with when it must be asked again. Expiry times are ISO 8601 text, compared as text.
struct CatalogStore: Sendable {
    let database: any SQLDatabase

    /// What we know of one variant: nothing yet (`variant` nil) or its names, until `expiresAt`.
    struct Entry<Value: Sendable>: Sendable {
        let value: Value?
        let expiresAt: String

        func isFresh(at now: Date) -> Bool { expiresAt > Timestamp.iso8601(now) }
    }

    func variants(_ ids: some Collection<String>, region: FullscriptRegion) async throws -> [String: Entry<CatalogVariant>] {
        let ids = Array(Set(ids)).sorted()
        guard !ids.isEmpty else { return [:] }
        // One placeholder per id: a plan names a handful of variants, and both stores read a list the same way.
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try await database.read { connection in
            try connection.query(
                """
                SELECT variant_id, variant, expires_at FROM catalog_variants
                WHERE region = ? AND variant_id IN (\(placeholders))
                """,
                [.text(region.rawValue)] + ids.map(DatabaseValue.text)
            ) { row in
                let variant: CatalogVariant? = try row.optionalString("variant").flatMap(Self.decode)
                return (try row.string("variant_id"), Entry(value: variant, expiresAt: try row.string("expires_at")))
            }
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// `variant` nil records a lookup that found nothing: names known from before are kept.
    func save(_ variant: CatalogVariant?, id: String, region: FullscriptRegion, at now: Date, expiresAt: Date) async throws {
        let json = variant.map { String(decoding: JSONBody.encode($0), as: UTF8.self) }
        try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO catalog_variants (region, variant_id, variant, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (region, variant_id) DO UPDATE SET
                    variant = coalesce(excluded.variant, catalog_variants.variant),
                    fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
                """,
                [.text(region.rawValue), .text(id), DatabaseValue(json), .text(Timestamp.iso8601(now)), .text(Timestamp.iso8601(expiresAt))]
            )
        }
    }

    func practitionerNames(in tenant: String) async throws -> Entry<[String: String]>? {
        try await database.read { connection in
            try connection.query(
                "SELECT names, expires_at FROM clinic_practitioner_names WHERE tenant_id = ?", [.text(tenant)]
            ) { row in
                let names: [String: String]? = try row.optionalString("names").flatMap(Self.decode)
                return Entry(value: names, expiresAt: try row.string("expires_at"))
            }.first
        }
    }

    /// `names` nil records a failed lookup: the names known from before are kept.
    func savePractitionerNames(_ names: [String: String]?, in tenant: String, at now: Date, expiresAt: Date) async throws {
        let json = names.map { String(decoding: JSONBody.encode($0), as: UTF8.self) }
        try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO clinic_practitioner_names (tenant_id, names, fetched_at, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant_id) DO UPDATE SET
                    names = coalesce(excluded.names, clinic_practitioner_names.names),
                    fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
                """,
                [.text(tenant), DatabaseValue(json), .text(Timestamp.iso8601(now)), .text(Timestamp.iso8601(expiresAt))]
            )
        }
    }

    private static func decode<Value: Decodable>(_ text: String) -> Value? {
        try? JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }
}
