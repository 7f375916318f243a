-- Lab orders (issue 16, US only): where results stand, from `lab_order.updated`, Refresh and
-- reconcile. Only moves forward: a copy older than the stored one (by Fullscript's updated_at)
-- changes nothing, so redelivered and out-of-order events leave the newest state.
CREATE TABLE lab_orders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    fullscript_patient_id TEXT,
    order_id TEXT,                      -- the purchase it came from, when Fullscript says
    state TEXT NOT NULL,                -- Fullscript's: partial_results, results_ready, results_amended, …
    tests TEXT NOT NULL,                -- JSON array of the tests, as Fullscript sent them
    updated_at TEXT NOT NULL,           -- Fullscript's; compared as text, so always the same format
    change_seq INTEGER NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('webhook', 'refresh', 'reconcile')),
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX lab_orders_patient ON lab_orders (tenant_id, fullscript_patient_id);
