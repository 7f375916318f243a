"""Webhook-to-chart latency: how long after the practitioner presses Activate in Fullscript the
patient's open chart receives the plan over its server-sent-events stream.

Each round: a click on /recommend (a fresh draft plan), then Activate on the simulator's plan
page. The simulator delivers the signed webhook before it answers Activate (Fullscript answers
first), so the clock starts just before the Activate request and stops when the chart's stream
carries that plan as active. Standard library only; every wait is bounded.
"""

import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

APP_PORT, SANDBOX_PORT, SESSION, ROUNDS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
PATIENT = "p-1001"
COOKIE = {"Cookie": f"fsr_session={SESSION}"}
ROUND_TIMEOUT = 10.0

arrivals = {}
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


def main():
    threading.Thread(target=read_stream, daemon=True).start()
    time.sleep(0.5)  # the stream is open before the first activation
    latencies, activations = [], []
    patient = None
    for _ in range(ROUNDS):
        click = request(APP_PORT, "GET", f"/recommend/{PATIENT}", headers=COOKIE)
        if click.status != 302:
            raise SystemExit(f"a click answered {click.status}")
        plan_path = urllib.parse.urlsplit(click.getheader("Location")).path
        plan_id = plan_path.rsplit("/", 1)[-1]
        patient = patient or fullscript_patient()
        form = urllib.parse.urlencode({"patient_id": patient, "personal_message": "Take with food"})
        start = time.monotonic()
        activated = request(SANDBOX_PORT, "POST", plan_path + "/activate", body=form,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        answered = time.monotonic()
        if activated.status != 303:
            raise SystemExit(f"activate answered {activated.status}")
        with arrived:
            if not arrived.wait_for(lambda: plan_id in arrivals, timeout=ROUND_TIMEOUT):
                raise SystemExit(f"plan {plan_id} never reached the chart")
            latencies.append((arrivals[plan_id] - start) * 1000)
        activations.append((answered - start) * 1000)

    def summary(name, values):
        values = sorted(values)
        pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
        print(f"{name:<34} p50 {statistics.median(values):7.2f}  p90 {pick(0.90):7.2f}  "
              f"p99 {pick(0.99):7.2f}  max {values[-1]:7.2f}  ms")

    print(f"\n{len(latencies)} activations, chart stream open throughout")
    summary("Activate pressed → plan on chart", latencies)
    summary("Activate request (incl. webhook)", activations)


main()
