-- The Fullscript clinic each connection's account belongs to, recorded when it connects: a connection
-- whose clinic is not its tenant's pin is never used. NULL for connections made before this column;
-- those are asked (GET /clinic through their token) on their first use, and recorded then.
ALTER TABLE fullscript_connections ADD COLUMN fullscript_clinic_id TEXT;

-- Whether the session that started a connect flow may make a tenant's first connection (and so pin its
-- clinic): not a patient-bound or viewer session. The callback has only this row to know the session by.
-- A flow started before this column existed may not pin: it is started again in a minute.
ALTER TABLE oauth_states ADD COLUMN may_pin INTEGER NOT NULL DEFAULT 0 CHECK (may_pin IN (0, 1));

-- webhook_events.clinic_id is stored for every event, claimed or not (since 0004): pinning a clinic
-- hands that clinic's unclaimed ignored events to the new tenant as pending, found through this index.
CREATE INDEX webhook_events_unclaimed_clinic ON webhook_events (clinic_id) WHERE tenant_id IS NULL AND status = 'ignored';
