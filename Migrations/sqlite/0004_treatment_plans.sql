-- Fullscript webhook events, stored raw before they are acknowledged so none is lost: a crash
-- between storing and processing leaves them 'pending', and processing resumes at start.
CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,          -- Fullscript's event.id: a repeat delivery changes nothing
    event_type TEXT NOT NULL,
    clinic_id TEXT,
    occurred_at TEXT,                   -- the event's created_at, as Fullscript sent it
    received_at TEXT NOT NULL,
    body BLOB NOT NULL,                 -- the exact bytes that were signed
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'ignored', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    processed_at TEXT,
    error TEXT
) STRICT;

CREATE INDEX webhook_events_pending ON webhook_events (received_at) WHERE status = 'pending';

-- Treatment plans as Fullscript last described them (webhook, refresh or reconcile: newest
-- updated_at wins). The EHR patient is found through patient_mappings when read, so a plan that
-- arrives before its mapping shows up as soon as the mapping does.
CREATE TABLE treatment_plans (
    id TEXT PRIMARY KEY,
    fullscript_patient_id TEXT,
    practitioner_id TEXT,
    state TEXT NOT NULL,
    personal_message TEXT,
    invitation_url TEXT,
    recommendations TEXT NOT NULL,      -- JSON array of {variant_id, refill, units_to_purchase, take_with, dosage}
    created_at TEXT NOT NULL,           -- Fullscript's, ISO 8601 UTC with milliseconds
    updated_at TEXT NOT NULL,           -- Fullscript's; compared as text, so always the same format
    change_seq INTEGER NOT NULL UNIQUE, -- ours, raised on every change: the SSE event id charts resume from
    source TEXT NOT NULL CHECK (source IN ('webhook', 'refresh', 'reconcile'))
) STRICT;

CREATE INDEX treatment_plans_patient ON treatment_plans (fullscript_patient_id, created_at);
