-- Who is clicking: EHR users arrive with a single-use launch token and get a server-side session.
-- Only a hash of the cookie value is kept, so reading the database does not let anyone sign in.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    ehr_user_id TEXT NOT NULL,
    display_name TEXT,
    created_at INTEGER NOT NULL,     -- unix seconds
    last_seen_at INTEGER NOT NULL,   -- idle expiry counts from here
    expires_at INTEGER NOT NULL      -- absolute expiry
) STRICT;

CREATE INDEX sessions_user ON sessions (ehr_user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Launch tokens are single use: each jti is remembered until the token would have expired anyway.
CREATE TABLE launch_token_uses (
    jti TEXT PRIMARY KEY,
    ehr_user_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Credentials of the internal services that call /api/v1. The key is shown once at creation;
-- only its SHA-256 is stored (keys are 256 random bits, so a plain hash is enough).
CREATE TABLE service_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
) STRICT;

-- Our copy of the EHR's patients, kept by internal services through /api/v1/patients.
-- A deleted patient keeps only the tombstone, so a click on a stale chart can say what happened.
CREATE TABLE patients (
    ehr_patient_id TEXT PRIMARY KEY,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    date_of_birth TEXT,
    gender TEXT CHECK (gender IN ('male', 'female', 'x')),
    mobile_number TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;

-- EHR patient ↔ Fullscript patient, filled once Fullscript tells us (or a search by email finds) the id.
CREATE TABLE patient_mappings (
    ehr_patient_id TEXT PRIMARY KEY REFERENCES patients (ehr_patient_id) ON DELETE CASCADE,
    fullscript_patient_id TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX patient_mappings_fullscript ON patient_mappings (fullscript_patient_id);

-- The practitioner a staff user last wrote for, offered again on their next click.
CREATE TABLE staff_practitioner_choices (
    ehr_user_id TEXT PRIMARY KEY,
    practitioner_id TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- One row per click on "Recommend with Fullscript", however it ended. Never holds tokens or
-- patient details; append-only like audit_log.
CREATE TABLE recommendations (
    id INTEGER PRIMARY KEY,
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

CREATE INDEX recommendations_patient ON recommendations (ehr_patient_id, occurred_at);
CREATE INDEX recommendations_user ON recommendations (ehr_user_id, occurred_at);

CREATE TRIGGER recommendations_no_update BEFORE UPDATE ON recommendations
BEGIN
    SELECT RAISE(ABORT, 'recommendations is append-only');
END;

CREATE TRIGGER recommendations_no_delete BEFORE DELETE ON recommendations
BEGIN
    SELECT RAISE(ABORT, 'recommendations is append-only');
END;
