#!/usr/bin/env python3
"""The acceptance checks of scripts/replicas-test.sh, every request through nginx (its --port).

Steps, each a subcommand so the shell script can stop and start processes between them:
  connect   sign in as the demo's dr-quinn, connect Fullscript (OAuth through nginx), one click: a 302 to
            the simulator; writes the session to --state.
  webhook   a signed webhook through nginx is acknowledged and stored once.
  stream    a chart's live stream from replica 1 (and one through nginx), then --events signed plan webhooks,
            one at a time, each straight to another replica: every plan reaches the chart on replica 1
            within 1 s (LISTEN/NOTIFY; the heartbeat is 15 s); prints the webhook-to-chart latency (p50,
            max). A stream resumed with Last-Event-ID on the last replica replays exactly the newer plans.
  clicks    a bounded loop of clicks (--seconds, --workers) through nginx; prints the counts as JSON and
            exits 1 on any click that was not a 302 to the simulator, or when the simulator made another
            number of links than there were clicks (a click sent to two replicas makes two).
  refresh   30 concurrent clicks (the shell script expired the access token in the database): exactly 1 refresh at
            the simulator (the replicas share one, under a PostgreSQL advisory lock) and 30 redirects.
  replay    the same launch token sent to every replica at once starts one session; the same OAuth callback
            (state and code) sent to every replica at once exchanges its code once at the simulator.
Uses only the standard library; every wait is bounded.
"""

import argparse
import concurrent.futures
import functools
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import demo_client  # noqa: E402
from demo_client import cookie_pairs, signed_plan_event  # noqa: E402

# Through nginx and three replicas on two cores: a longer wait than the single-process scripts'.
request = functools.partial(demo_client.request, timeout=20)

PATIENT = "p-1001"


def local(url):
    return urllib.parse.urlsplit(url)._replace(scheme="", netloc="").geturl()


def expect(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def connect(args):
    form = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
    status, fields, _ = request(args.port, "POST", "/demo/sign-in", form, "user=dr-quinn&return_to=/")
    expect(status in (302, 303), f"the demo sign-in answered {status}")
    status, fields, _ = request(args.port, "GET", local(fields["location"][0]))
    session = next((pair for pair in cookie_pairs(fields) if pair.startswith("fsr_session=")), None)
    expect(session, f"the launch answered {status} without a session")
    status, fields, _ = request(args.port, "POST", "/oauth/fullscript/connect", {**form, "Cookie": session}, "return_to=/")
    expect(status in (302, 303), f"connect answered {status}")
    binding = "; ".join(cookie_pairs(fields))
    authorize = urllib.parse.urlsplit(fields["location"][0])
    status, fields, _ = request(authorize.port, "GET", f"{authorize.path}?{authorize.query}&auto_approve=prac-1")
    callback = urllib.parse.urlsplit(fields["location"][0])
    expect(callback.port == args.port, f"the simulator sent the browser to {callback.netloc}, not to nginx")
    status, _, _ = request(args.port, "GET", f"{callback.path}?{callback.query}", {"Cookie": binding})
    expect(status == 200, f"the OAuth callback through nginx answered {status}")
    status, fields, _ = request(args.port, "GET", f"/recommend/{PATIENT}", {"Cookie": session})
    expect(status == 302 and fields["location"][0].startswith(f"http://localhost:{args.sandbox_port}/"),
           f"the first click answered {status} {fields.get('location')}")
    with open(args.state, "w") as state:
        json.dump({"session": session}, state)
    print("connect: signed in, connected through nginx's OAuth callback, a click is a 302 to the simulator")


def session_of(args):
    with open(args.state) as state:
        return json.load(state)["session"]


def signed_webhook(port, event_id, plan_id, fullscript_patient_id):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    body, headers = signed_plan_event(os.environ["FULLSCRIPT_WEBHOOK_SECRET"], event_id, plan_id, fullscript_patient_id, now, now)
    return request(port, "POST", "/webhooks/fullscript", headers, body)[0]


def webhook(args):
    event = f"ev-replicas-{int(time.time() * 1000)}"
    status = signed_webhook(args.port, event, "tp-replicas-webhook", args.fullscript_patient)
    expect(status == 200, f"the webhook through nginx answered {status}")
    print(json.dumps({"webhook_event": event}))


class Stream:
    """A chart's live stream, read on a thread of its own; the plan ids it received, by arrival."""

    def __init__(self, port, session, last_event_id=None):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        resume = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
        self.socket.sendall((f"GET /ehr/api/patients/{PATIENT}/treatment-plans/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                             f"Cookie: {session}\r\nAccept: text/event-stream\r\n{resume}\r\n").encode())
        self.text, self.lock = "", threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            try:
                chunk = self.socket.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.text += chunk.decode(errors="replace")

    def received(self, needle):
        with self.lock:
            return needle in self.text

    def wait_for(self, needle, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.received(needle):
                return True
            time.sleep(0.02)
        return False


def event_ids(text):
    """The `id:` of each event on a stream, keyed by the plan id in its data."""
    ids = {}
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "id" in fields and '"id":"' in fields.get("data", ""):
            ids[fields["data"].split('"id":"', 1)[1].split('"', 1)[0]] = int(fields["id"])
    return ids


def stream(args):
    session = session_of(args)
    replicas = [int(port) for port in args.replica_ports.split()]
    expect(len(replicas) >= 2, "the stream step needs two replicas or more")
    # The chart streams from replica 1; each plan's webhook goes straight to another replica, which applies it
    # (a replica wakes its own processor for what it stored): only LISTEN/NOTIFY can bring it here in time.
    # A second chart streams through nginx: the events route must pass each event on as it comes.
    chart = Stream(replicas[0], session)
    balanced = Stream(args.port, session)
    for opened, where in ((chart, "replica 1"), (balanced, "nginx")):
        # Without Last-Event-ID the stream starts from now, with a `ready` event naming the newest change.
        expect(opened.wait_for("event: ready", 10), f"the stream through {where} did not open with its ready event")
    stamp = int(time.time() * 1000)
    plans = [f"tp-replicas-{stamp}-{n}" for n in range(args.events)]
    latencies = []
    for n, plan in enumerate(plans):
        target = replicas[1 + n % (len(replicas) - 1)]
        sent = time.monotonic()
        status = signed_webhook(target, f"ev-stream-{stamp}-{n}", plan, args.fullscript_patient)
        expect(status == 200, f"the plan webhook to replica port {target} answered {status}")
        # Bounded well past the heartbeat, so a late plan is measured, then failed below.
        expect(chart.wait_for(plan, args.heartbeat_seconds + 2), f"plan {n} never reached the chart on replica 1")
        latencies.append(time.monotonic() - sent)
    expect(balanced.wait_for(plans[-1], 5), "the last plan did not reach the chart streaming through nginx")
    ordered = sorted(latencies)
    # A chart that reconnects to another replica with Last-Event-ID gets what came after that id, and only that.
    ids = event_ids(chart.text)
    expect(all(plan in ids for plan in plans), "a plan event on the stream had no id")
    half = len(plans) // 2
    resumed = Stream(replicas[-1], session, last_event_id=ids[plans[half - 1]])
    expect(resumed.wait_for(plans[-1], 5), "a stream resumed with Last-Event-ID on another replica did not replay the newer plans")
    replayed = event_ids(resumed.text)
    print(json.dumps({
        "plans_sent": len(plans), "webhook_to_other_replica_chart_ms": {
            "p50": round(ordered[len(ordered) // 2] * 1000, 1), "max": round(ordered[-1] * 1000, 1),
            "all": [round(seconds * 1000, 1) for seconds in latencies]},
        "resumed_after_event": ids[plans[half - 1]], "replayed_events": sorted(replayed.values())}))
    late = [round(seconds, 2) for seconds in latencies if seconds > 1]
    expect(not late, f"{len(late)} of {len(plans)} plans took more than 1 s to reach a chart on another replica: {late}")
    expect(sorted(replayed) == sorted(plans[half:]),
           f"a resume after event {ids[plans[half - 1]]} replayed {sorted(replayed.values())}, not only the newer plans' events "
           f"{sorted(ids[plan] for plan in plans[half:])}")


def click_once(port, session, sandbox_port):
    try:
        status, fields, _ = request(port, "GET", f"/recommend/{PATIENT}", {"Cookie": session}, timeout=30)
    except OSError as error:
        return f"error {type(error).__name__}"
    if status == 302 and fields.get("location", [""])[0].startswith(f"http://localhost:{sandbox_port}/"):
        return "302"
    return str(status)


def links_made(sandbox_port):
    """Links the simulator made (each a draft at Fullscript): POSTs to its dynamic-link routes."""
    recorded = json.loads(request(sandbox_port, "GET", "/_sandbox/requests", timeout=60)[2])
    return sum(1 for entry in recorded if entry["method"] == "POST" and entry["path"].startswith("/api/clinic/dynamic_links/"))


def clicks(args):
    session = session_of(args)
    links_before = links_made(args.sandbox_port)
    counts, lock = {}, threading.Lock()
    deadline = time.monotonic() + args.seconds
    started = time.monotonic()

    def worker():
        for _ in range(args.max_clicks // args.workers):
            if time.monotonic() > deadline:
                return
            outcome = click_once(args.port, session, args.sandbox_port)
            with lock:
                counts[outcome] = counts.get(outcome, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.seconds + 60)
    elapsed = time.monotonic() - started
    total = sum(counts.values())
    failed = total - counts.get("302", 0)
    # One link per click: no click reached Fullscript twice, as one nginx sent to a second replica would.
    links = links_made(args.sandbox_port) - links_before
    print(json.dumps({"clicks": total, "failed": failed, "outcomes": counts, "links_made_at_fullscript": links,
                      "clicks_per_second": round(total / elapsed, 1)}))
    expect(total > 0 and failed == 0, f"{failed} of {total} clicks failed: {counts}")
    expect(links == total, f"{total} clicks made {links} links at the simulator")


def refresh(args):
    session = session_of(args)
    before = json.loads(request(args.sandbox_port, "GET", "/_sandbox/stats")[2])["token_refresh_count"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(lambda _: click_once(args.port, session, args.sandbox_port), range(30)))
    after = json.loads(request(args.sandbox_port, "GET", "/_sandbox/stats")[2])["token_refresh_count"]
    print(json.dumps({"concurrent_clicks": 30, "redirects": outcomes.count("302"), "refreshes_at_the_simulator": after - before,
                      "other_outcomes": sorted(set(outcome for outcome in outcomes if outcome != "302"))}))
    expect(after - before == 1, f"30 clicks over the replicas made {after - before} refreshes, not 1")
    expect(outcomes.count("302") == 30, f"{30 - outcomes.count('302')} of 30 clicks were not redirected")


def token_exchanges(sandbox_port):
    recorded = json.loads(request(sandbox_port, "GET", "/_sandbox/requests", timeout=60)[2])
    return sum(1 for entry in recorded if entry["method"] == "POST" and entry["path"] == "/api/oauth/token")


def at_every_replica(args, method, target, headers=None):
    """The same request sent once per replica at once; nginx's round robin gives each its own."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.replicas) as pool:
        return list(pool.map(lambda _: request(args.port, method, target, headers or {}), range(args.replicas)))


def replay(args):
    form = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
    status, fields, _ = request(args.port, "POST", "/demo/sign-in", form, "user=dr-quinn&return_to=/")
    expect(status in (302, 303), f"the demo sign-in answered {status}")
    launches = at_every_replica(args, "GET", local(fields["location"][0]))
    sessions = [pair for _, fields, _ in launches for pair in cookie_pairs(fields) if pair.startswith("fsr_session=")]
    expect(len(sessions) == 1, f"one launch token sent to {args.replicas} replicas started {len(sessions)} sessions: "
           f"{[status for status, _, _ in launches]}")
    status, fields, _ = request(args.port, "POST", "/oauth/fullscript/connect", {**form, "Cookie": sessions[0]}, "return_to=/")
    expect(status in (302, 303), f"connect answered {status}")
    binding = "; ".join(cookie_pairs(fields))
    authorize = urllib.parse.urlsplit(fields["location"][0])
    status, fields, _ = request(authorize.port, "GET", f"{authorize.path}?{authorize.query}&auto_approve=prac-1")
    callback = urllib.parse.urlsplit(fields["location"][0])
    exchanges_before = token_exchanges(args.sandbox_port)
    callbacks = at_every_replica(args, "GET", f"{callback.path}?{callback.query}", {"Cookie": binding})
    exchanges = token_exchanges(args.sandbox_port) - exchanges_before
    statuses = sorted(status for status, _, _ in callbacks)
    print(json.dumps({"launch_token_sent_to_replicas": len(launches), "sessions_started": len(sessions),
                      "oauth_callback_sent_to_replicas": len(callbacks), "callback_statuses": statuses,
                      "code_exchanges_at_the_simulator": exchanges}))
    expect(statuses.count(200) == 1, f"one OAuth callback sent to {args.replicas} replicas connected {statuses.count(200)} times")
    expect(exchanges == 1, f"one OAuth callback sent to {args.replicas} replicas exchanged its code {exchanges} times")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["connect", "webhook", "stream", "clicks", "refresh", "replay"])
    parser.add_argument("--port", type=int, required=True, help="nginx")
    parser.add_argument("--sandbox-port", type=int, required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--fullscript-patient")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-clicks", type=int, default=4000)
    parser.add_argument("--heartbeat-seconds", type=float, default=15)
    parser.add_argument("--replica-ports", default="", help="the replicas' own ports, space-separated (stream)")
    parser.add_argument("--events", type=int, default=20, help="plan webhooks the stream step sends")
    args = parser.parse_args()
    {"connect": connect, "webhook": webhook, "stream": stream, "clicks": clicks, "refresh": refresh,
     "replay": replay}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
