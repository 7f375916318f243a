-- Readable plans (issue 16). Plans keep the reading and the lab tests Fullscript sends with them,
-- as Fullscript's JSON: plans stored before this upgrade get them with their next change.
ALTER TABLE treatment_plans ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE treatment_plans ADD COLUMN lab_recommendations TEXT NOT NULL DEFAULT '[]';

-- What Fullscript's catalog says a variant id is. The catalog belongs to a Fullscript deployment,
-- so it is keyed by region, shared by every tenant of it. `variant` is NULL while a lookup has only
-- ever failed (or found nothing); a failure after a success keeps the names and only moves `expires_at`.
CREATE TABLE catalog_variants (
    region TEXT NOT NULL CHECK (region IN ('us', 'ca')),
    variant_id TEXT NOT NULL,
    variant TEXT,                       -- JSON {id, product_name, brand_name, form, size, sku}
    fetched_at TEXT NOT NULL,           -- ISO 8601 UTC: the last lookup, successful or not
    expires_at TEXT NOT NULL,           -- asked again after this (the TTL, or the retry time after a failure)
    PRIMARY KEY (region, variant_id)
) STRICT;

-- A tenant's clinic's practitioners, by id, for "By Dr. …" on the chart: one list per tenant, with
-- the same expiry rules as the catalog.
CREATE TABLE clinic_practitioner_names (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    names TEXT,                         -- JSON {practitioner id: "First Last"}; NULL until a lookup succeeds
    fetched_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
