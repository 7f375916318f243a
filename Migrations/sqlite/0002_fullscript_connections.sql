-- One Fullscript OAuth connection per EHR user. Tokens are sealed with AES-256-GCM
-- (nonce ‖ ciphertext ‖ tag) under the key named by key_id; the user id and the field name are
-- the associated data, so a sealed token cannot be moved to another user or field.
CREATE TABLE fullscript_connections (
    ehr_user_id TEXT PRIMARY KEY,
    resource_owner_id TEXT NOT NULL,
    resource_owner_type TEXT NOT NULL CHECK (resource_owner_type IN ('Practitioner', 'Staff')),
    scope TEXT NOT NULL,
    access_token BLOB NOT NULL,
    refresh_token BLOB NOT NULL,
    key_id TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'disconnected')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Pending OAuth connect flows. Only hashes of the state and of the browser-binding cookie are
-- kept, so a database read does not let anyone complete someone else's flow.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    ehr_user_id TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    return_to TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
