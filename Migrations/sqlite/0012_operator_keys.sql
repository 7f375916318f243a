-- Operator keys: the vendor's own tooling, which may list across tenants (GET /api/v1/tenants). For
-- patients and plans an operator key is a key of its tenant like any other.
ALTER TABLE service_keys ADD COLUMN operator INTEGER NOT NULL DEFAULT 0 CHECK (operator IN (0, 1));
