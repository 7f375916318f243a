#!/usr/bin/env python3
"""Builds Tests/AppTests/Fixtures/before-tenants.sqlite: a database made by migrations 0001-0006 and 0010
(the release before tenants), as the migration runner applies them, holding one of everything a deployment
of that version stores. UpgradeTests opens a copy, upgrades it and checks that nothing was lost.

Run once; the committed file is the fixture. Regenerating it changes nothing the tests rely on but
the timestamps.
"""
import hashlib
import os
import sqlite3
import base64

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/AppTests/Fixtures/before-tenants.sqlite")
# The fixture's secrets, also in UpgradeTests: the token key, the service key and a session cookie.
TOKEN_KEY = bytes(range(32))
SERVICE_KEY = "fsr_" + "upgrade-fixture-service-key-0123456789abcde"
assert len(SERVICE_KEY) == 47
SESSION_COOKIE = "upgrade-fixture-session"
BOUND_SESSION_COOKIE = "upgrade-fixture-bound-session"


def seal(token, field, user):
    nonce = hashlib.sha256(f"{field}/{user}".encode()).digest()[:12]
    aad = f"fullscript-redirect/{field}/{user}".encode()
    return nonce + AESGCM(TOKEN_KEY).encrypt(nonce, token.encode(), aad)


if os.path.exists(OUT):
    os.remove(OUT)
db = sqlite3.connect(OUT)
db.execute("PRAGMA foreign_keys = ON")
db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
           " applied_at TEXT NOT NULL) STRICT")
for version in [*range(1, 7), 10]:
    [file] = [f for f in os.listdir(os.path.join(ROOT, "Migrations", "sqlite")) if f.startswith(f"{version:04d}_")]
    data = open(os.path.join(ROOT, "Migrations", "sqlite", file), "rb").read()
    db.executescript(data.decode())
    db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, '2026-11-30T09:00:00.000Z')",
               (version, file[5:-4], hashlib.sha256(data).hexdigest()))

stamp = "2026-11-30T10:00:00.000Z"
fingerprint = hashlib.sha256(TOKEN_KEY).digest()[:8].hex()
db.execute("INSERT INTO fullscript_connections (ehr_user_id, resource_owner_id, resource_owner_type, scope, access_token,"
           " refresh_token, key_id, access_expires_at, status, created_at, updated_at, resource_owner_first_name,"
           " resource_owner_last_name, connected_at) VALUES ('dr-quinn', 'prac-1', 'Practitioner',"
           " 'catalog:read clinic:read clinic:write patients:write patients:treatment_plan_history', ?, ?, ?, 4102444800,"
           " 'connected', ?, ?, 'Avery', 'Quinn', ?)",
           (seal("fixture-access", "access_token", "dr-quinn"), seal("fixture-refresh", "refresh_token", "dr-quinn"),
            fingerprint, stamp, stamp, stamp))
db.execute("INSERT INTO oauth_states VALUES ('state-hash', 'dr-lee', 'browser-hash', '/', 4102444800, NULL)")
# Seen "in the future", so the session is live whenever the test runs.
db.execute("INSERT INTO sessions VALUES (?, 'dr-quinn', 'Dr. Avery Quinn', 4102400000, 4102400000, 4102444800, NULL, NULL)",
           (hashlib.sha256(SESSION_COOKIE.encode()).hexdigest(),))
# A session the launch claims bound to one patient, as a staff member (migration 0010).
db.execute("INSERT INTO sessions VALUES (?, 'sam-ortiz', 'Sam Ortiz', 4102400000, 4102400000, 4102444800, 'p-1001', 'staff')",
           (hashlib.sha256(BOUND_SESSION_COOKIE.encode()).hexdigest(),))
db.execute("INSERT INTO launch_token_uses VALUES ('jti-1', 'dr-quinn', 4102444800)")
db.execute("INSERT INTO service_keys (name, key_hash, created_at) VALUES ('ehr-sync', ?, ?)",
           (hashlib.sha256(SERVICE_KEY.encode()).hexdigest(), stamp))
db.execute("INSERT INTO patients VALUES ('p-1001', 'jordan.rivera@example.com', 'Jordan', 'Rivera', '1984-03-12', 'x',"
           " '+15555550101', ?, ?, NULL)", (stamp, stamp))
db.execute("INSERT INTO patients VALUES ('p-1002', 'casey.brooks@example.com', 'Casey', 'Brooks', NULL, NULL, NULL, ?, ?, NULL)",
           (stamp, stamp))
db.execute("INSERT INTO patient_mappings VALUES ('p-1001', 'fs-patient-1', ?)", (stamp,))
db.execute("INSERT INTO staff_practitioner_choices VALUES ('sam-ortiz', 'prac-1', ?, 'Avery Quinn')", (stamp,))
db.execute("INSERT INTO recommendations (occurred_at, ehr_user_id, ehr_patient_id, practitioner_id, link_kind, entrypoint,"
           " outcome, request_id) VALUES (?, 'dr-quinn', 'p-1001', 'prac-1', 'draft', 'catalog', 'redirected', 'req-1')",
           (stamp,))
db.execute("INSERT INTO webhook_events (event_id, event_type, clinic_id, occurred_at, received_at, body, status, attempts,"
           " processed_at) VALUES ('evt-1', 'treatment_plan.created', 'clinic-1', ?, ?, ?, 'processed', 1, ?)",
           (stamp, stamp, b'{"event":{"id":"evt-1"}}', stamp))
db.execute("INSERT INTO treatment_plans VALUES ('plan-1', 'fs-patient-1', 'prac-1', 'active', 'Take with food', NULL,"
           " '[{\"variant_id\":\"v-1\",\"refill\":false,\"units_to_purchase\":1,\"take_with\":null,\"dosage\":null}]',"
           " ?, ?, 1, 'webhook')", (stamp, stamp))
db.execute("INSERT INTO audit_log (occurred_at, actor, action, subject, outcome) VALUES (?, 'dr-quinn', 'session.start', NULL, 'ok')",
           (stamp,))
db.commit()
db.execute("PRAGMA journal_mode = DELETE")
db.execute("VACUUM")
db.close()
print(OUT)
