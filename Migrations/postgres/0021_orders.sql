-- Migrations/sqlite/0021_orders.sql for PostgreSQL, column for column (see 0020_baseline.sql for the
-- mapping of types): orders as they were placed, and which plans each came from.
CREATE TABLE orders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    order_number TEXT,
    fullscript_patient_id TEXT,
    completed_at TEXT NOT NULL,
    treatment_plan_ids TEXT NOT NULL,
    practitioner_ids TEXT NOT NULL,
    line_items TEXT NOT NULL,
    is_lab BIGINT NOT NULL CHECK (is_lab IN (0, 1)),
    change_seq BIGINT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('webhook', 'refresh', 'reconcile')),
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX orders_patient ON orders (tenant_id, fullscript_patient_id, completed_at);

CREATE TABLE order_plans (
    tenant_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    treatment_plan_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, order_id, treatment_plan_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);

CREATE INDEX order_plans_plan ON order_plans (tenant_id, treatment_plan_id);
