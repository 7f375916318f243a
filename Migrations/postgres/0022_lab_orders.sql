-- Migrations/sqlite/0022_lab_orders.sql for PostgreSQL, column for column (see 0020_baseline.sql for
-- the mapping of types): lab orders at their newest state by Fullscript's updated_at.
CREATE TABLE lab_orders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    fullscript_patient_id TEXT,
    order_id TEXT,
    state TEXT NOT NULL,
    tests TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    change_seq BIGINT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('webhook', 'refresh', 'reconcile')),
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX lab_orders_patient ON lab_orders (tenant_id, fullscript_patient_id);
