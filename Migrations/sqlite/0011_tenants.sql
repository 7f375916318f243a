-- Tenants: one EHR practice each, bound to one Fullscript clinic in one region. Every row that belongs
-- to a practice names its tenant; an existing database upgrades in place into the tenant 'default'.
-- SQLite cannot change a table's keys, so tenant-scoped tables are rebuilt: renamed aside, created
-- anew, copied with tenant_id = 'default', and the old ones dropped (children before parents).
CREATE TABLE tenants (
    id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^a-z0-9-]*'),
    name TEXT NOT NULL,
    region TEXT NOT NULL CHECK (region IN ('us', 'ca')),
    fullscript_clinic_id TEXT UNIQUE,   -- NULL until the tenant's first connection pins its clinic
    created_at TEXT NOT NULL
) STRICT;

INSERT INTO tenants (id, name, region, created_at)
VALUES ('default', 'Default practice', 'us', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

ALTER TABLE fullscript_connections RENAME TO old_fullscript_connections;
ALTER TABLE oauth_states RENAME TO old_oauth_states;
ALTER TABLE sessions RENAME TO old_sessions;
ALTER TABLE launch_token_uses RENAME TO old_launch_token_uses;
ALTER TABLE service_keys RENAME TO old_service_keys;
ALTER TABLE patient_mappings RENAME TO old_patient_mappings;
ALTER TABLE patients RENAME TO old_patients;
ALTER TABLE staff_practitioner_choices RENAME TO old_staff_practitioner_choices;
ALTER TABLE recommendations RENAME TO old_recommendations;
ALTER TABLE treatment_plans RENAME TO old_treatment_plans;

-- Tokens are per (tenant, EHR user): the same EHR user id in two practices is two people.
CREATE TABLE fullscript_connections (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ehr_user_id TEXT NOT NULL,
    resource_owner_id TEXT NOT NULL,
    resource_owner_type TEXT NOT NULL CHECK (resource_owner_type IN ('Practitioner', 'Staff')),
    scope TEXT NOT NULL,
    access_token BLOB NOT NULL,
    refresh_token BLOB NOT NULL,
    key_id TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'disconnected')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    resource_owner_first_name TEXT,
    resource_owner_last_name TEXT,
    connected_at TEXT,
    PRIMARY KEY (tenant_id, ehr_user_id)
) STRICT;

INSERT INTO fullscript_connections
SELECT 'default', ehr_user_id, resource_owner_id, resource_owner_type, scope, access_token, refresh_token, key_id,
       access_expires_at, status, created_at, updated_at, resource_owner_first_name, resource_owner_last_name, connected_at
FROM old_fullscript_connections;

-- The flow's tenant picks the Fullscript app (by region) when Fullscript redirects back.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ehr_user_id TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    return_to TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

INSERT INTO oauth_states
SELECT state_hash, 'default', ehr_user_id, browser_hash, return_to, expires_at, used_at FROM old_oauth_states;

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ehr_user_id TEXT NOT NULL,
    display_name TEXT,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    patient_id TEXT,
    roles TEXT
) STRICT;

-- 0010 (the launch claims) came before: a session keeps the patient it is bound to and its roles.
INSERT INTO sessions
SELECT id_hash, 'default', ehr_user_id, display_name, created_at, last_seen_at, expires_at, patient_id, roles FROM old_sessions;

-- A jti stays single use across tenants: it is the EHR's, and one token must never sign in twice.
CREATE TABLE launch_token_uses (
    jti TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ehr_user_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

INSERT INTO launch_token_uses SELECT jti, 'default', ehr_user_id, expires_at FROM old_launch_token_uses;

-- A key sees only its tenant. Names stay unique across tenants: the operator revokes by name.
CREATE TABLE service_keys (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
) STRICT;

INSERT INTO service_keys
SELECT id, 'default', name, key_hash, created_at, last_used_at, revoked_at FROM old_service_keys;

CREATE TABLE patients (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ehr_patient_id TEXT NOT NULL,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    date_of_birth TEXT,
    gender TEXT CHECK (gender IN ('male', 'female', 'x')),
    mobile_number TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    PRIMARY KEY (tenant_id, ehr_patient_id)
) STRICT;

INSERT INTO patients
SELECT 'default', ehr_patient_id, email, first_name, last_name, date_of_birth, gender, mobile_number,
       created_at, updated_at, deleted_at
FROM old_patients;

-- (tenant, EHR patient) <-> Fullscript patient, one to one within the tenant.
CREATE TABLE patient_mappings (
    tenant_id TEXT NOT NULL,
    ehr_patient_id TEXT NOT NULL,
    fullscript_patient_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ehr_patient_id),
    UNIQUE (tenant_id, fullscript_patient_id),
    FOREIGN KEY (tenant_id, ehr_patient_id) REFERENCES patients (tenant_id, ehr_patient_id) ON DELETE CASCADE
) STRICT;

-- Email matching could link several EHR patients to one Fullscript patient. The oldest link stays;
-- the others are dropped, each with an audit row naming it, and are matched again on their next click.
INSERT INTO patient_mappings
SELECT 'default', ehr_patient_id, fullscript_patient_id, created_at FROM old_patient_mappings m
WHERE NOT EXISTS (
    SELECT 1 FROM old_patient_mappings o WHERE o.fullscript_patient_id = m.fullscript_patient_id
      AND (o.created_at < m.created_at OR (o.created_at = m.created_at AND o.ehr_patient_id < m.ehr_patient_id))
);

INSERT INTO audit_log (occurred_at, actor, action, subject, outcome, detail)
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'migration', 'patient_mapping.drop', ehr_patient_id, 'duplicate_fullscript_patient',
       fullscript_patient_id
FROM old_patient_mappings m
WHERE NOT EXISTS (SELECT 1 FROM patient_mappings n WHERE n.ehr_patient_id = m.ehr_patient_id);

CREATE TABLE staff_practitioner_choices (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ehr_user_id TEXT NOT NULL,
    practitioner_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    practitioner_name TEXT,
    PRIMARY KEY (tenant_id, ehr_user_id)
) STRICT;

INSERT INTO staff_practitioner_choices
SELECT 'default', ehr_user_id, practitioner_id, updated_at, practitioner_name FROM old_staff_practitioner_choices;

CREATE TABLE recommendations (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    occurred_at TEXT NOT NULL,
    ehr_user_id TEXT NOT NULL,
    ehr_patient_id TEXT NOT NULL,
    practitioner_id TEXT,
    link_kind TEXT CHECK (link_kind IN ('draft', 'new')),
    entrypoint TEXT,
    outcome TEXT NOT NULL,
    fullscript_request_id TEXT,
    request_id TEXT,
    detail TEXT
) STRICT;

INSERT INTO recommendations
SELECT id, 'default', occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint, outcome,
       fullscript_request_id, request_id, detail
FROM old_recommendations;

-- A plan belongs to the tenant whose clinic wrote it. change_seq stays one counter for everyone:
-- it only orders changes, and a chart's stream reads its own tenant's.
CREATE TABLE treatment_plans (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    fullscript_patient_id TEXT,
    practitioner_id TEXT,
    state TEXT NOT NULL,
    personal_message TEXT,
    invitation_url TEXT,
    recommendations TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    change_seq INTEGER NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('webhook', 'refresh', 'reconcile')),
    PRIMARY KEY (tenant_id, id)
) STRICT;

INSERT INTO treatment_plans
SELECT 'default', id, fullscript_patient_id, practitioner_id, state, personal_message, invitation_url, recommendations,
       created_at, updated_at, change_seq, source
FROM old_treatment_plans;

DROP TABLE old_fullscript_connections;
DROP TABLE old_oauth_states;
DROP TABLE old_sessions;
DROP TABLE old_launch_token_uses;
DROP TABLE old_service_keys;
DROP TABLE old_patient_mappings;
DROP TABLE old_patients;
DROP TABLE old_staff_practitioner_choices;
DROP TABLE old_recommendations;
DROP TABLE old_treatment_plans;

CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
CREATE INDEX sessions_user ON sessions (tenant_id, ehr_user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX service_keys_tenant ON service_keys (tenant_id);
CREATE INDEX recommendations_patient ON recommendations (tenant_id, ehr_patient_id, occurred_at);
CREATE INDEX recommendations_user ON recommendations (tenant_id, ehr_user_id, occurred_at);
CREATE INDEX treatment_plans_patient ON treatment_plans (tenant_id, fullscript_patient_id, created_at);

CREATE TRIGGER recommendations_no_update BEFORE UPDATE ON recommendations
BEGIN
    SELECT RAISE(ABORT, 'recommendations is append-only');
END;

CREATE TRIGGER recommendations_no_delete BEFORE DELETE ON recommendations
BEGIN
    SELECT RAISE(ABORT, 'recommendations is append-only');
END;

-- Webhook events keep their global id (a repeat delivery is a repeat wherever it goes) and record the
-- tenant they were routed to; NULL for an event no tenant claims.
ALTER TABLE webhook_events ADD COLUMN tenant_id TEXT REFERENCES tenants (id);
UPDATE webhook_events SET tenant_id = 'default';

-- The audit log names the tenant; NULL for what belongs to no tenant (an operator's command, a
-- launch naming a tenant that does not exist). Its rows are append-only, so the guard steps aside
-- for this one stamp of the rows written before tenants existed.
DROP TRIGGER audit_log_no_update;
ALTER TABLE audit_log ADD COLUMN tenant_id TEXT;
UPDATE audit_log SET tenant_id = 'default';
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE INDEX audit_log_tenant_occurred_at ON audit_log (tenant_id, occurred_at);
