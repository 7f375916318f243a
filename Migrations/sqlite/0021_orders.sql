-- Orders (issue 16): what patients bought, from `order.placed`, Refresh and reconcile. An order does
-- not change once placed, so the first copy stored is kept. Like plans, the EHR patient is found
-- through patient_mappings when read, and change_seq shares the plans' numbering (the chart's stream
-- resumes from one id across plans, orders and lab orders).
CREATE TABLE orders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    order_number TEXT,
    fullscript_patient_id TEXT,
    completed_at TEXT NOT NULL,         -- Fullscript's, ISO 8601 UTC with milliseconds (when we learned of it if absent)
    treatment_plan_ids TEXT NOT NULL,   -- JSON array, as order_plans has them: what the order says it came from
    practitioner_ids TEXT NOT NULL,     -- JSON array of Fullscript practitioner ids
    line_items TEXT NOT NULL,           -- JSON array of {variant_id, quantity, type, lab_type}
    is_lab INTEGER NOT NULL CHECK (is_lab IN (0, 1)),
    change_seq INTEGER NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('webhook', 'refresh', 'reconcile')),
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX orders_patient ON orders (tenant_id, fullscript_patient_id, completed_at);

-- Which plans an order came from: "ordered N times, last on DATE" per plan. A plan an order names
-- may arrive later (or never); the count is read through this table whenever the plan is.
CREATE TABLE order_plans (
    tenant_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    treatment_plan_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, order_id, treatment_plan_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
) STRICT;

CREATE INDEX order_plans_plan ON order_plans (tenant_id, treatment_plan_id);
