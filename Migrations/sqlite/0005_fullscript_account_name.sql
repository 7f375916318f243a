-- Who the Fullscript account is, so the EHR can name it ("Fullscript: Avery Quinn (Practitioner)")
-- and warn when it is not the signed-in EHR user. Looked up at connect time from
-- /clinic/practitioners/{id} or /clinic/staff/{id}; NULL while that lookup has not succeeded.
-- Personal data, not a secret: kept in clear, never logged.
ALTER TABLE fullscript_connections ADD COLUMN resource_owner_first_name TEXT;
ALTER TABLE fullscript_connections ADD COLUMN resource_owner_last_name TEXT;

-- When this account was connected: created_at stays the first connection's (it orders the
-- connected users), while a reconnect may bring another account.
ALTER TABLE fullscript_connections ADD COLUMN connected_at TEXT;
UPDATE fullscript_connections SET connected_at = created_at;
