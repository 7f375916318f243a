-- Every click asks which live patients of the practice hold the patient's email (an email several hold
-- names nobody: `PatientMatcher`), and so do webhooks and refreshes: without an index that is a scan of
-- the practice's patients per click. The expression and the condition are the query's own, so SQLite uses it.
CREATE INDEX patients_live_email ON patients (tenant_id, lower(email)) WHERE deleted_at IS NULL;
