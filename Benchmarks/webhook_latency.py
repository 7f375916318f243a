"""Webhook-to-chart latency: how long after the practitioner presses Activate in Fullscript the
patient's open chart receives the plan over its server-sent-events stream; or, in `order` mode, how
long after the patient presses Order on a plan's checkout page the chart receives the `order` event
(`order.placed`: signed webhook, store, processing, the order stored and named, the stream).

Each round: a click on /recommend (a fresh draft plan), then Activate on the simulator's plan
page. The simulator delivers the signed webhook before it answers Activate (Fullscript answers
first), so the clock starts just before the Activate request and stops when the chart's stream
carries that plan as active. In `order` mode one plan is activated first and each round orders it
again. Standard library only; every wait is bounded.
"""

import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

APP_PORT, SANDBOX_PORT, SESSION, ROUNDS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
MODE = sys.argv[5] if len(sys.argv) > 5 else "plan"
PATIENT = "p-1001"
COOKIE = {"Cookie": f"fsr_session={SESSION}"}
ROUND_TIMEOUT = 10.0

arrivals = {}
order_arrivals = {}
arrived = threading.Condition()


def read_stream():
    connection = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=60)
    connection.request("GET", f"/ehr/api/patients/{PATIENT}/treatment-plans/events", headers=COOKIE)
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"stream answered {response.status}")
    event, data = None, []
    while True:
        line = response.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "":
            if event == "plan" and data:
                plan = json.loads("\n".join(data))
                if plan.get("state") == "active":
                    with arrived:
                        arrivals.setdefault(plan["id"], time.monotonic())
                        arrived.notify_all()
            elif event == "order" and data:
                with arrived:
                    order_arrivals.setdefault(json.loads("\n".join(data))["id"], time.monotonic())
                    arrived.notify_all()
            event, data = None, []


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=ROUND_TIMEOUT)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def fullscript_patient():
    connection = http.client.HTTPConnection("127.0.0.1", APP_PORT, timeout=ROUND_TIMEOUT)
    connection.request("GET", f"/ehr/api/patients/{PATIENT}", headers=COOKIE)
    return json.loads(connection.getresponse().read())["fullscript_patient_id"]


def summary(name, values):
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"{name:<34} p50 {statistics.median(values):7.2f}  p90 {pick(0.90):7.2f}  "
          f"p99 {pick(0.99):7.2f}  max {values[-1]:7.2f}  ms")


def activate(patient):
    """A click and Activate; returns the plan's path at the simulator, when Activate was sent and when it answered."""
    click = request(APP_PORT, "GET", f"/recommend/{PATIENT}", headers=COOKIE)
    if click.status != 302:
        raise SystemExit(f"a click answered {click.status}")
    plan_path = urllib.parse.urlsplit(click.getheader("Location")).path
    form = urllib.parse.urlencode({"patient_id": patient or fullscript_patient(), "personal_message": "Take with food"})
    start = time.monotonic()
    activated = request(SANDBOX_PORT, "POST", plan_path + "/activate", body=form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    if activated.status != 303:
        raise SystemExit(f"activate answered {activated.status}")
    return plan_path, start, time.monotonic()


def orders():
    plan_path, _, _ = activate(None)
    latencies, requests = [], []
    for _ in range(ROUNDS):
        with arrived:
            before = len(order_arrivals)
        start = time.monotonic()
        ordered = request(SANDBOX_PORT, "POST", plan_path + "/order", body="", headers={"Content-Length": "0"})
        answered = time.monotonic()
        if ordered.status != 303:
            raise SystemExit(f"order answered {ordered.status}")
        with arrived:
            if not arrived.wait_for(lambda: len(order_arrivals) > before, timeout=ROUND_TIMEOUT):
                raise SystemExit("an order never reached the chart")
            latencies.append((max(order_arrivals.values()) - start) * 1000)
        requests.append((answered - start) * 1000)
    print(f"\n{len(latencies)} orders of one plan, chart stream open throughout")
    summary("Order pressed → order on chart", latencies)
    summary("Order request (incl. webhook)", requests)


def main():
    threading.Thread(target=read_stream, daemon=True).start()
    time.sleep(0.5)  # the stream is open before the first activation
    if MODE == "order":
        orders()
        return
    latencies, activations = [], []
    patient = None
    for _ in range(ROUNDS):
        patient = patient or fullscript_patient()
        plan_path, start, answered = activate(patient)
        plan_id = plan_path.rsplit("/", 1)[-1]
        with arrived:
            if not arrived.wait_for(lambda: plan_id in arrivals, timeout=ROUND_TIMEOUT):
                raise SystemExit(f"plan {plan_id} never reached the chart")
            latencies.append((arrivals[plan_id] - start) * 1000)
        activations.append((answered - start) * 1000)

    print(f"\n{len(latencies)} activations, chart stream open throughout")
    summary("Activate pressed → plan on chart", latencies)
    summary("Activate request (incl. webhook)", activations)


main()
