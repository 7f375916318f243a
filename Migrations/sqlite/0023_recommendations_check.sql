-- Every click inserts a recommendations row, and SQLite checked `link_kind IN ('draft', 'gateway', 'new')`
-- by building a temporary index of the list for each insert (EXPLAIN shows OpenEphemeral): a few µs of
-- every click. The same check written with `=` and `OR` builds none. SQLite cannot change a CHECK, so the
-- table is rebuilt as in 0015: renamed aside, created anew, every row copied with its id, the old one
-- dropped (taking its indexes and append-only guards), and those made again.
ALTER TABLE recommendations RENAME TO old_recommendations;

CREATE TABLE recommendations (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    occurred_at TEXT NOT NULL,
    ehr_user_id TEXT NOT NULL,
    ehr_patient_id TEXT NOT NULL,
    practitioner_id TEXT,
    link_kind TEXT CHECK (link_kind = 'draft' OR link_kind = 'gateway' OR link_kind = 'new'),
    entrypoint TEXT,
    outcome TEXT NOT NULL,
    fullscript_request_id TEXT,
    request_id TEXT,
    detail TEXT
) STRICT;

INSERT INTO recommendations (id, tenant_id, occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint, outcome,
                             fullscript_request_id, request_id, detail)
SELECT id, tenant_id, occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint, outcome,
       fullscript_request_id, request_id, detail
FROM old_recommendations;

DROP TABLE old_recommendations;

CREATE INDEX recommendations_patient ON recommendations (tenant_id, ehr_patient_id, occurred_at);
CREATE INDEX recommendations_user ON recommendations (tenant_id, ehr_user_id, occurred_at);

CREATE TRIGGER recommendations_no_update BEFORE UPDATE ON recommendations
BEGIN
    SELECT RAISE(ABORT, 'recommendations is append-only');
END;

CREATE TRIGGER recommendations_no_delete BEFORE DELETE ON recommendations
BEGIN
    SELECT RAISE(ABORT, 'recommendations is append-only');
END;
