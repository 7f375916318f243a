#!/usr/bin/env python3
"""kill -9 during a burst of webhooks and token refreshes, then restart, several times over.

The simulator runs in its own process with access tokens living 300 s, so every click finds its
token within the server's 300 s refresh margin and refreshes it (clicks waiting at the same moment
share one refresh): clicks are a stream of token refreshes. Meanwhile signed webhook events are posted. At a random moment the server gets SIGKILL;
it is restarted on the same files, and then:
  - `PRAGMA integrity_check` is ok (read before the restart, as the crash left the file);
  - every event that was acknowledged (200) is stored and ends settled (processed or ignored), none pending;
  - the practitioner is still connected: a click with the same session ends in a 302 to the simulator;
  - no audit row and no click row is written twice for one request.
Meanwhile, too, an EHR service keeps changing linked patients (PUT /api/v1/patients/{id}, one sender
per patient) while the simulator fails (503) and then crawls at those patients' update calls, so
changes sit in the outbox when the kill comes. After the restart, with the simulator healthy again:
  - each patient is stored as its last acknowledged PUT (or a later one the kill cut off unanswered);
  - its `fullscript_sync` ends `synced` within a bounded wait, none `failed`;
  - the simulator holds each Fullscript patient exactly as stored: no accepted change was lost.

`fault_test.py postgres` is the PostgreSQL round instead (scripts/fault-test.sh starts its parts: PostgreSQL 15,
two replicas of `serve` on it, nginx in front). Through nginx, clicks and signed webhooks run while PostgreSQL
gets a fast shutdown (`pg_ctl stop -m fast`) and, a few seconds later, a restart; the shell script stops and
starts it when this script asks (files in --control). Then:
  - every click is a 302 to the simulator, or the 503 page "This server cannot reach its database" with
    Retry-After; while PostgreSQL is down, at least one click gets that page;
  - no webhook is acknowledged (2xx) without being stored: each acknowledged event is in webhook_events and
    ends processed; those sent while it is down get a non-2xx, so Fullscript sends them again;
  - the replicas recover by themselves, without a restart: each answers /readyz 200 and clicks through nginx
    are 302s again within a bounded time of PostgreSQL's restart.
Prints the figures: how long PostgreSQL was down, the 503s, and how long the replicas took to recover.
Uses only the standard library. Every wait is bounded; the script exits 1 on any broken promise.
"""

import argparse
import http.client
import json
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from demo_client import cookie_pairs, request, signed_plan_event  # noqa: E402

CHALLENGE = "fault-test-challenge"
SECRET = "fault-test-webhook-secret-of-32-bytes!"


class Server:
    """The demo server (`--external-sandbox`) started and killed by this script."""

    def __init__(self, binary, work_dir, port, sandbox_port):
        self.binary, self.work_dir, self.port, self.sandbox_port = binary, work_dir, port, sandbox_port
        self.process = None
        self.starts = 0

    def start(self):
        environment = dict(os.environ, LOG_LEVEL="warning", FULLSCRIPT_WEBHOOK_CHALLENGE=CHALLENGE,
                           FULLSCRIPT_WEBHOOK_SECRET=SECRET, RATE_LIMIT_USER_PER_MINUTE="1000000",
                           RATE_LIMIT_USER_BURST="1000000", RATE_LIMIT_SERVICE_PER_MINUTE="1000000",
                           RATE_LIMIT_SERVICE_BURST="1000000")
        self.starts += 1
        log = open(os.path.join(self.work_dir, f"server-{self.starts}.log"), "w")
        self.process = subprocess.Popen(
            [self.binary, "demo", "--port", str(self.port), "--sandbox-port", str(self.sandbox_port), "--external-sandbox"],
            cwd=self.work_dir, env=environment, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} (see server-{self.starts}.log)")
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not become ready in 30 s")

    def service_key(self):
        """The key this start printed (each demo start revokes the one before)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(os.path.join(self.work_dir, f"server-{self.starts}.log")) as log:
                for line in log:
                    if "Service key for /api/v1" in line:
                        return line.rsplit(":", 1)[1].strip()
            time.sleep(0.1)
        raise RuntimeError(f"no service key in server-{self.starts}.log")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def sign_in_and_connect(port):
    """dr-quinn through the demo sign-in, then connected to the simulator as prac-1; returns the session cookie."""
    # Our pages' forms post from our own origin, as a browser says with Sec-Fetch-Site.
    form = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
    status, fields, _ = request(port, "POST", "/demo/sign-in", form, "user=dr-quinn&return_to=/")
    launch = fields["location"][0]
    status, fields, _ = request(port, "GET", urllib.parse.urlsplit(launch)._replace(scheme="", netloc="").geturl())
    session = next(pair for pair in cookie_pairs(fields) if pair.startswith("fsr_session="))
    status, fields, _ = request(port, "POST", "/oauth/fullscript/connect", {**form, "Cookie": session}, "return_to=/")
    binding = "; ".join(cookie_pairs(fields))
    authorize = urllib.parse.urlsplit(fields["location"][0])
    status, fields, _ = request(authorize.port, "GET", f"{authorize.path}?{authorize.query}&auto_approve=prac-1")
    callback = urllib.parse.urlsplit(fields["location"][0])
    status, _, _ = request(port, "GET", f"{callback.path}?{callback.query}", {"Cookie": binding})
    if status != 200:
        raise RuntimeError(f"the OAuth callback answered {status}")
    return session


def click(port, session):
    return request(port, "GET", "/recommend/p-1001", {"Cookie": session})


# EHR patients the PUT senders change, one sender each; linked by a click before the first round.
SYNCED_PATIENTS = [f"p-fault-{n}" for n in range(1, 5)]
DEMOGRAPHICS = ("email", "first_name", "last_name", "date_of_birth", "mobile_number")
PATIENT_FAULTS = "/api/clinic/patients/"


def demographics(patient, sequence):
    return {"email": f"{patient}.{sequence}@example.com", "first_name": "Fault", "last_name": f"Change-{sequence}",
            "date_of_birth": f"19{50 + sequence % 50}-0{1 + sequence % 9}-1{sequence % 10}",
            "mobile_number": f"+1604555{sequence % 10000:04d}"}


def put_patient(port, key, patient, fields, timeout=10):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return request(port, "PUT", f"/api/v1/patients/{patient}", headers, json.dumps(fields).encode(), timeout=timeout)


def get_patient(port, key, patient):
    status, _, body = request(port, "GET", f"/api/v1/patients/{patient}", {"Authorization": f"Bearer {key}"})
    if status != 200:
        raise RuntimeError(f"GET /api/v1/patients/{patient} answered {status}")
    return json.loads(body)


def set_patient_faults(sandbox_port, faults):
    """Faults on the simulator's patient calls only (the update call among them), [] to clear them."""
    if faults:
        status, _, _ = request(sandbox_port, "POST", f"/_sandbox/faults?path_prefix={urllib.parse.quote(PATIENT_FAULTS)}",
                               {"Content-Type": "application/json"}, json.dumps(faults).encode())
    else:
        status, _, _ = request(sandbox_port, "DELETE", "/_sandbox/faults")
    if status != 204:
        raise RuntimeError(f"the simulator refused the faults {faults}: {status}")


def patient_updates(sandbox_port):
    recorded = json.loads(request(sandbox_port, "GET", "/_sandbox/requests", timeout=30)[2])
    return sum(1 for call in recorded if call["method"] == "PATCH" and call["path"].startswith(PATIENT_FAULTS))


def link_synced_patients(port, key, session, database):
    """Creates the patients and links each by a click; returns EHR id -> Fullscript patient id."""
    linked = {}
    for patient in SYNCED_PATIENTS:
        status, _, body = put_patient(port, key, patient, demographics(patient, 0))
        if status not in (200, 201):
            raise RuntimeError(f"PUT {patient} answered {status}: {body[:200]}")
        status, _, _ = request(port, "GET", f"/recommend/{patient}", {"Cookie": session})
        if status != 302:
            raise RuntimeError(f"the click linking {patient} answered {status}")
        linked[patient] = query(database, f"SELECT fullscript_patient_id FROM patient_mappings WHERE ehr_patient_id = '{patient}'")[0][0]
    return linked


class PatientChanges:
    """One sender per patient, each PUT after the last answer, so a patient's last acknowledged change is well defined.
    The last patient's sender falls quiet when told, leaving its change to the outbox's retries alone."""

    def __init__(self, port, key, round_number):
        self.port, self.key = port, key
        self.stop, self.quiet = threading.Event(), threading.Event()
        self.lock = threading.Lock()
        # Each round's values differ from every earlier round's.
        self.sequence = round_number * 100000
        self.acknowledged, self.unanswered, self.refused = {}, {}, []
        self.accepted = 0

    def send(self, patient):
        while not self.stop.is_set() and not (patient == SYNCED_PATIENTS[-1] and self.quiet.is_set()):
            with self.lock:
                self.sequence += 1
                fields = demographics(patient, self.sequence)
            try:
                status, _, body = put_patient(self.port, self.key, patient, fields, timeout=5)
            except ConnectionRefusedError:
                time.sleep(0.05)
                continue
            except (OSError, http.client.HTTPException):
                # Cut off by the kill: maybe stored, maybe not; nothing later can have been acknowledged.
                with self.lock:
                    self.unanswered.setdefault(patient, []).append(fields)
                time.sleep(0.05)
                continue
            with self.lock:
                if status == 200:
                    self.accepted += 1
                    self.acknowledged[patient] = fields
                    self.unanswered.pop(patient, None)
                else:
                    self.refused.append(f"{patient}: {status} {body[:120]!r}")

    def run(self):
        threads = [threading.Thread(target=self.send, args=(patient,)) for patient in SYNCED_PATIENTS]
        for thread in threads:
            thread.start()
        return threads


def settled_patients(port, key, deadline_seconds):
    """Each synced patient as the API answers once none is pending (or the wait runs out)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        answers = {patient: get_patient(port, key, patient) for patient in SYNCED_PATIENTS}
        pending = [p for p, body in answers.items() if (body.get("fullscript_sync") or {}).get("status") == "pending"]
        if not pending or time.monotonic() > deadline:
            return answers
        time.sleep(0.2)


def check_synced(round_number, changes, answers, linked, sandbox_port, failures):
    """What was acknowledged is what we store, and what we store is what the simulator holds, synced."""
    unsynced = 0
    for patient, body in answers.items():
        stored = {field: body.get(field) for field in DEMOGRAPHICS}
        allowed = [changes.acknowledged.get(patient)] + changes.unanswered.get(patient, [])
        if stored not in allowed:
            failures.append(f"round {round_number}: {patient} stored {stored}, not its last acknowledged PUT {allowed[0]}")
        sync = body.get("fullscript_sync") or {}
        if sync.get("status") != "synced":
            unsynced += 1
            failures.append(f"round {round_number}: {patient} fullscript_sync is {sync}")
        status, _, held = request(sandbox_port, "GET", f"/_sandbox/patients/{linked[patient]}")
        held = json.loads(held).get("patient", {}) if status == 200 else {}
        in_fullscript = {field: held.get(field) for field in DEMOGRAPHICS}
        if in_fullscript != stored:
            failures.append(f"round {round_number}: Fullscript holds {patient} as {in_fullscript}, the EHR as {stored}")
    return unsynced


class Burst:
    """Webhook senders and clickers running until told to stop; what was acknowledged is kept."""

    def __init__(self, port, session, patient_id, round_number):
        self.port, self.session, self.patient_id, self.round = port, session, patient_id, round_number
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged, self.clicks, self.redirects = [], 0, 0

    def send_events(self, sender):
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            event_id = f"ev-r{self.round}-s{sender}-{sequence}"
            updated = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            body, headers = signed_plan_event(SECRET, event_id, f"tp-fault-{sender}", self.patient_id,
                                              "2026-01-01T09:00:00.000Z", updated)
            try:
                status, _, _ = request(self.port, "POST", "/webhooks/fullscript", headers, body, timeout=5)
            except OSError:
                continue
            if status == 200:
                with self.lock:
                    self.acknowledged.append(event_id)

    def click(self):
        while not self.stop.is_set():
            try:
                status, fields, _ = click(self.port, self.session)
            except OSError:
                continue
            with self.lock:
                self.clicks += 1
                self.redirects += status == 302

    def run(self, seconds, senders=3, clickers=3):
        threads = [threading.Thread(target=self.send_events, args=(n,)) for n in range(senders)]
        threads += [threading.Thread(target=self.click) for _ in range(clickers)]
        for thread in threads:
            thread.start()
        return threads


def query(database, sql):
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sandbox-port", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"fault test: {args.rounds} rounds of kill -9 during webhooks, token refreshes and queued patient changes "
          f"(seed {args.seed})")
    database = os.path.join(args.work_dir, "data", "demo.sqlite")
    server = Server(args.binary, args.work_dir, args.port, args.sandbox_port)
    failures = []
    totals = {"acknowledged": 0, "clicks": 0, "redirects": 0, "puts": 0}
    try:
        server.start()
        session = sign_in_and_connect(args.port)
        status, fields, _ = click(args.port, session)
        if status != 302:
            raise RuntimeError(f"the first click answered {status}")
        patient_id = query(database, "SELECT fullscript_patient_id FROM patient_mappings WHERE ehr_patient_id = 'p-1001'")[0][0]
        linked = link_synced_patients(args.port, server.service_key(), session, database)
        updates_before = patient_updates(args.sandbox_port)
        acknowledged = []
        for round_number in range(1, args.rounds + 1):
            burst = Burst(args.port, session, patient_id, round_number)
            changes = PatientChanges(args.port, server.service_key(), round_number)
            # Fullscript failing, then crawling, at the patient updates: changes wait in the outbox.
            set_patient_faults(args.sandbox_port, [{"latency_ms": 50}, {"status": 503}])
            threads = burst.run(seconds=None) + changes.run()
            time.sleep(0.25)
            # The last patient's change is then left to fail and wait for its retry when the kill comes.
            changes.quiet.set()
            time.sleep(0.5)
            set_patient_faults(args.sandbox_port, [{"latency_ms": 400}])
            delay = rng.uniform(0.3, 1.5)
            time.sleep(delay)
            server.kill()
            burst.stop.set()
            changes.stop.set()
            for thread in threads:
                thread.join(timeout=15)
            outbox = dict(query(database, "SELECT status, COUNT(*) FROM patient_sync GROUP BY status"))
            retried = query(database, "SELECT COUNT(*) FROM patient_sync WHERE status = 'pending' AND attempts > 0")[0][0]
            set_patient_faults(args.sandbox_port, [])
            integrity = query(database, "PRAGMA integrity_check")[0][0]
            acknowledged += burst.acknowledged
            totals["acknowledged"] += len(burst.acknowledged)
            totals["clicks"] += burst.clicks
            totals["redirects"] += burst.redirects
            server.start()
            restarted = time.monotonic()
            stored = {row[0]: row[1] for row in query(database, "SELECT event_id, status FROM webhook_events")}
            missing = [event for event in acknowledged if event not in stored]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                pending = query(database, "SELECT COUNT(*) FROM webhook_events WHERE status = 'pending'")[0][0]
                if pending == 0:
                    break
                time.sleep(0.2)
            answers = settled_patients(args.port, server.service_key(), deadline_seconds=45)
            drained = time.monotonic() - restarted
            unsynced = check_synced(round_number, changes, answers, linked, args.sandbox_port, failures)
            failures += [f"round {round_number}: a PUT was refused: {refusal}" for refusal in changes.refused[:5]]
            totals["puts"] += changes.accepted
            status, fields, _ = click(args.port, session)
            location = fields.get("location", [""])[0]
            print(f"  round {round_number}: killed after {0.75 + delay:.2f} s with {len(burst.acknowledged)} events acknowledged "
                  f"and {burst.clicks} clicks ({burst.redirects} redirected); "
                  f"integrity {integrity}; {len(missing)} acknowledged events missing; {pending} pending after restart; "
                  f"click after restart {status}")
            print(f"    outbox at the kill {outbox} ({retried} pending after a failed push), "
                  f"{changes.accepted} PUTs acknowledged ({len(changes.acknowledged)}/{len(SYNCED_PATIENTS)} patients), "
                  f"{sum(map(len, changes.unanswered.values()))} PUTs cut off unanswered; "
                  f"{unsynced} not synced {drained:.1f} s after the restart")
            if integrity != "ok":
                failures.append(f"round {round_number}: integrity_check says {integrity}")
            if missing:
                failures.append(f"round {round_number}: acknowledged events lost: {missing[:5]}")
            if pending:
                failures.append(f"round {round_number}: {pending} events still pending a minute after the restart")
            if status != 302 or "/sandbox/plans/" not in location:
                failures.append(f"round {round_number}: after the restart a click answered {status} {location} (tokens lost?)")
        duplicates = query(database, """
            SELECT action, request_id, COUNT(*) FROM audit_log WHERE request_id IS NOT NULL
            GROUP BY actor, action, subject, request_id HAVING COUNT(*) > 1""")
        duplicates += query(database, """
            SELECT 'recommendation', request_id, COUNT(*) FROM recommendations GROUP BY request_id HAVING COUNT(*) > 1""")
        if duplicates:
            failures.append(f"rows written twice for one request: {duplicates[:5]}")
        settled = query(database, "SELECT status, COUNT(*) FROM webhook_events GROUP BY status")
        updates = patient_updates(args.sandbox_port) - updates_before
        refreshes = json.loads(request(args.sandbox_port, "GET", "/_sandbox/stats")[2])["token_refresh_count"]
        print(f"  totals: {totals['acknowledged']} events acknowledged, all stored; events by status {dict(settled)}; "
              f"{totals['clicks']} clicks ({totals['redirects']} redirected); {len(duplicates)} duplicated rows; "
              f"{refreshes} token refreshes at the simulator; {totals['puts']} patient changes acknowledged, "
              f"{updates} patient update calls at the simulator")
    except Exception as error:  # noqa: BLE001 - any failure of the harness is a failed test
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        server.stop()
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("ok")
    return 0


DATABASE_UNAVAILABLE_TITLE = b"This server cannot reach its database"


class DatabaseOutage:
    """Clicks and signed webhooks through nginx, each answer kept with its time, while PostgreSQL goes down and back."""

    def __init__(self, port, sandbox_port, session, patient_id):
        self.port, self.sandbox_port, self.session, self.patient_id = port, sandbox_port, session, patient_id
        self.stop = threading.Event()
        self.lock = threading.Lock()
        # (sent, answered, outcome): outcome is "302", "database_unavailable", or what else came back.
        self.clicks = []
        self.webhooks = []
        self.acknowledged = []

    def click_outcome(self):
        try:
            status, fields, body = request(self.port, "GET", "/recommend/p-1001", {"Cookie": self.session}, timeout=20)
        except (OSError, http.client.HTTPException) as error:
            return f"error {type(error).__name__}"
        if status == 302 and fields.get("location", [""])[0].startswith(f"http://localhost:{self.sandbox_port}/"):
            return "302"
        if status == 503 and DATABASE_UNAVAILABLE_TITLE in body and fields.get("retry-after", [""])[0].isdigit():
            return "database_unavailable"
        return f"{status} {body[:120]!r}"

    def click(self):
        while not self.stop.is_set():
            sent = time.monotonic()
            outcome = self.click_outcome()
            with self.lock:
                self.clicks.append((sent, time.monotonic(), outcome))

    def send_events(self, sender):
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            event_id = f"ev-pg-s{sender}-{sequence}"
            updated = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            # The replicas' secret, which scripts/lib/replicas.sh exports.
            body, headers = signed_plan_event(os.environ["FULLSCRIPT_WEBHOOK_SECRET"], event_id, f"tp-pg-{sender}-{sequence}", self.patient_id,
                                              "2026-01-01T09:00:00.000Z", updated)
            sent = time.monotonic()
            try:
                status = request(self.port, "POST", "/webhooks/fullscript", headers, body, timeout=20)[0]
            except (OSError, http.client.HTTPException):
                status = 0
            with self.lock:
                self.webhooks.append((sent, time.monotonic(), status))
                if 200 <= status < 300:
                    self.acknowledged.append(event_id)
            if not 200 <= status < 300:
                # As Fullscript would, later: here a moment, so the outage is not a busy loop.
                time.sleep(0.1)

    def run(self, clickers=3, senders=2):
        threads = [threading.Thread(target=self.click) for _ in range(clickers)]
        threads += [threading.Thread(target=self.send_events, args=(n,)) for n in range(senders)]
        for thread in threads:
            thread.start()
        return threads


def ask(control, step, seconds=60):
    """Has the shell script do `step` (stop, start) and waits until it says it is done."""
    open(os.path.join(control, step), "w").close()
    deadline = time.monotonic() + seconds
    while not os.path.exists(os.path.join(control, step + ".done")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the shell script did not {step} PostgreSQL within {seconds} s")
        time.sleep(0.02)
    return time.monotonic()


def recovered(replica_ports, port, session, sandbox_port, seconds):
    """Seconds until every replica answers /readyz 200 and 6 clicks in a row through nginx are 302s, or None."""
    started = time.monotonic()
    deadline = started + seconds
    ready = set()
    in_a_row = 0
    probe = DatabaseOutage(port, sandbox_port, session, None)
    while time.monotonic() < deadline:
        for replica in replica_ports:
            try:
                if replica not in ready and request(replica, "GET", "/readyz", timeout=5)[0] == 200:
                    ready.add(replica)
            except (OSError, http.client.HTTPException):
                pass
        in_a_row = in_a_row + 1 if probe.click_outcome() == "302" else 0
        if len(ready) == len(replica_ports) and in_a_row >= 6:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def postgres_round(argv):
    parser = argparse.ArgumentParser(prog="fault_test.py postgres", description="PostgreSQL killed during clicks and webhooks")
    parser.add_argument("--port", type=int, required=True, help="nginx")
    parser.add_argument("--sandbox-port", type=int, required=True)
    parser.add_argument("--replica-ports", required=True, help="comma-separated")
    parser.add_argument("--control", required=True, help="a folder: this script writes stop and start, the shell script X.done")
    parser.add_argument("--psql", required=True, help="the psql command line, -c SQL is added")
    parser.add_argument("--down-seconds", type=float, default=3)
    parser.add_argument("--recovery-seconds", type=float, default=20)
    args = parser.parse_args(argv)
    replica_ports = [int(port) for port in args.replica_ports.split(",")]

    def psql(sql):
        return subprocess.run(shlex.split(args.psql) + ["-c", sql], check=True, capture_output=True, text=True, timeout=30).stdout.split()

    failures = []
    print(f"fault test, PostgreSQL round: fast shutdown for {args.down_seconds:.0f} s during clicks and webhooks through nginx "
          f"and {len(replica_ports)} replicas")
    session = sign_in_and_connect(args.port)
    status, _, _ = click(args.port, session)
    if status != 302:
        raise SystemExit(f"FAILED: the first click answered {status}")
    patient_id = psql("SELECT fullscript_patient_id FROM patient_mappings WHERE ehr_patient_id = 'p-1001'")[0]
    outage = DatabaseOutage(args.port, args.sandbox_port, session, patient_id)
    threads = outage.run()
    try:
        time.sleep(1.5)
        stopping = time.monotonic()
        down = ask(args.control, "stop")
        time.sleep(args.down_seconds)
        restarting = time.monotonic()
        up = ask(args.control, "start")
        recovery = recovered(replica_ports, args.port, session, args.sandbox_port, args.recovery_seconds)
        time.sleep(1)
    finally:
        outage.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    if recovery is None:
        failures.append(f"the replicas did not recover within {args.recovery_seconds:.0f} s of PostgreSQL's restart")

    outcomes = {}
    for _, _, outcome in outage.clicks:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    unexpected = [outcome for _, _, outcome in outage.clicks if outcome not in ("302", "database_unavailable")]
    if unexpected:
        failures.append(f"{len(unexpected)} clicks were neither a 302 nor the database_unavailable page: {sorted(set(unexpected))[:5]}")
    # Sent once it was down and answered before its restart began: PostgreSQL was down for all of it.
    while_down = [outcome for sent, answered, outcome in outage.clicks if sent >= down and answered <= restarting]
    if not while_down or any(outcome != "database_unavailable" for outcome in while_down):
        failures.append(f"clicks while PostgreSQL was down: {sorted(set(while_down))} (each should get the database_unavailable page)")
    hooks_while_down = [status for sent, answered, status in outage.webhooks if sent >= down and answered <= restarting]
    if any(200 <= status < 300 for status in hooks_while_down):
        failures.append("a webhook was acknowledged while PostgreSQL was down")
    webhook_statuses = {}
    for _, _, status in outage.webhooks:
        webhook_statuses[status] = webhook_statuses.get(status, 0) + 1

    # Every acknowledged event stored, and applied by the replicas' processors (bounded).
    listed = ",".join(f"'{event}'" for event in outage.acknowledged) or "''"
    deadline = time.monotonic() + 20
    while True:
        stored = dict(line.split("|") for line in psql(f"SELECT event_id || '|' || status FROM webhook_events WHERE event_id IN ({listed})"))
        settled = [event for event, state in stored.items() if state != "pending"]
        if len(settled) == len(outage.acknowledged) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    missing = [event for event in outage.acknowledged if event not in stored]
    not_applied = sorted(f"{event}: {state}" for event, state in stored.items() if state != "processed")
    if missing:
        failures.append(f"{len(missing)} acknowledged webhooks are not stored: {missing[:5]}")
    if not_applied:
        failures.append(f"{len(not_applied)} acknowledged webhooks are not applied: {not_applied[:5]}")
    final = [outage.click_outcome() for _ in range(6)]
    if any(outcome != "302" for outcome in final):
        failures.append(f"clicks after the recovery: {final}")

    print(f"  PostgreSQL down {restarting - down:.2f} s (fast shutdown took {down - stopping:.2f} s, the restart {up - restarting:.2f} s); "
          f"replicas recovered {recovery if recovery is None else round(recovery, 2)} s after it was up, without a restart")
    print(f"  clicks: {outcomes}; {len(while_down)} sent and answered while it was down, "
          f"{sum(outcome == 'database_unavailable' for outcome in while_down)} of them the 503 database_unavailable page")
    print(f"  webhooks: by status {webhook_statuses}; {len(outage.acknowledged)} acknowledged, "
          f"{len(outage.acknowledged) - len(missing)} stored, {len(outage.acknowledged) - len(missing) - len(not_applied)} applied; "
          f"{len(hooks_while_down)} answered while it was down, {sum(not 200 <= status < 300 for status in hooks_while_down)} of them non-2xx")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(postgres_round(sys.argv[2:]) if sys.argv[1:2] == ["postgres"] else main())
