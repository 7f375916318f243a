-- Append-only audit trail: who did what to which subject, and how it ended.
-- Later features insert rows; nothing updates or deletes them, and the
-- triggers below make that a property of the schema rather than a convention.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,  -- ISO 8601 UTC, e.g. 2025-01-31T12:00:00.000Z
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT,
    outcome     TEXT NOT NULL,
    request_id  TEXT,
    detail      TEXT
) STRICT;

-- "What did this actor do, most recent first" is the main audit question.
CREATE INDEX audit_log_actor_occurred_at ON audit_log (actor, occurred_at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
