-- Demographics waiting to reach Fullscript: a PUT that changes a linked patient sets its row pending.
-- One row per patient, no payload: a push sends the patient as stored when it runs, so a newer PUT only
-- bumps `version` (a push settles only the version it read). Being a row, it survives a crash.
CREATE TABLE patient_sync (
    tenant_id TEXT NOT NULL,
    ehr_patient_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'synced', 'failed')),
    version INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- 1 while nobody of the practice could send it: a connection releases these rows, and only these.
    waits_for_connection INTEGER NOT NULL DEFAULT 0 CHECK (waits_for_connection IN (0, 1)),
    error TEXT,
    due_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ehr_patient_id),
    FOREIGN KEY (tenant_id, ehr_patient_id) REFERENCES patients (tenant_id, ehr_patient_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX patient_sync_due ON patient_sync (status, due_at);
