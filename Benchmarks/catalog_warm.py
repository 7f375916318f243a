"""Readable plans once warm: how many catalog calls the chart's plan list costs.

Seeds PLANS plans of PRODUCTS catalog products each for one patient (a click, then Activate on the
simulator's plan page with the products picked; the signed webhook brings each plan in), reads the
chart's list (which the wait for the plans has already warmed), then N times more. Catalog (`/api/catalog/...`) and practitioner
(`/api/clinic/practitioners`) calls are counted at the simulator (`/_sandbox/requests`) as
before/after deltas. Standard library only; every wait is bounded.
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse

APP_PORT, SANDBOX_PORT, SESSION = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
READS, PLANS, PRODUCTS = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
PATIENT = "p-1001"
COOKIE = {"Cookie": f"fsr_session={SESSION}"}
TIMEOUT = 10.0
VARIANTS = [f"variant-{1001 + index}" for index in range(PRODUCTS)]


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def counted_calls():
    _, data = request(SANDBOX_PORT, "GET", "/_sandbox/requests")
    paths = [entry["path"] for entry in json.loads(data)]
    return (sum(path.startswith("/api/catalog/") for path in paths),
            sum(path.startswith("/api/clinic/practitioners") for path in paths))


def plan_list():
    response, data = request(APP_PORT, "GET", f"/ehr/api/patients/{PATIENT}/treatment-plans", headers=COOKIE)
    if response.status != 200:
        raise SystemExit(f"the plan list answered {response.status}")
    return json.loads(data)["plans"]


def seed():
    patient = None
    for _ in range(PLANS):
        click, _ = request(APP_PORT, "GET", f"/recommend/{PATIENT}", headers=COOKIE)
        if click.status != 302:
            raise SystemExit(f"a click answered {click.status}")
        plan_path = urllib.parse.urlsplit(click.getheader("Location")).path
        if patient is None:
            _, data = request(APP_PORT, "GET", f"/ehr/api/patients/{PATIENT}", headers=COOKIE)
            patient = json.loads(data)["fullscript_patient_id"]
        form = urllib.parse.urlencode({"patient_id": patient, "variant_ids": ",".join(VARIANTS)})
        activated, _ = request(SANDBOX_PORT, "POST", plan_path + "/activate", body=form,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        if activated.status != 303:
            raise SystemExit(f"activate answered {activated.status}")
    deadline = time.monotonic() + 30
    while sum(plan.get("state") == "active" for plan in plan_list()) < PLANS:
        if time.monotonic() > deadline:
            raise SystemExit("the webhooks did not bring every plan in")
        time.sleep(0.1)


def named(plans):
    return sum(1 for plan in plans for item in plan.get("recommendations", []) if (item.get("product") or {}).get("name"))


def main():
    # Seeding reads the list to see the plans arrive, which already warms the cache: the cold cost is
    # counted from before the first plan.
    before = counted_calls()
    seed()
    start = time.monotonic()
    warm = plan_list()
    warming_ms = (time.monotonic() - start) * 1000
    warmed = counted_calls()
    latencies = []
    for _ in range(READS):
        start = time.monotonic()
        plans = plan_list()
        latencies.append((time.monotonic() - start) * 1000)
    after = counted_calls()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"\n{len(warm)} plans × {PRODUCTS} products on the chart; {named(plans)} of {len(plans) * PRODUCTS} recommendations named")
    print(f"cold (seeding and the first read)   catalog calls {warmed[0] - before[0]:4d}   practitioner-list calls {warmed[1] - before[1]:3d}")
    print(f"first read after seeding {warming_ms:8.2f} ms")
    print(f"{READS} warm reads   p50 {statistics.median(latencies):7.2f}  p90 {pick(0.90):7.2f}  p99 {pick(0.99):7.2f}  max {latencies[-1]:7.2f}  ms")
    print(f"warm reads      catalog calls {after[0] - warmed[0]:4d}   practitioner-list calls {after[1] - warmed[1]:3d}   (goal: 0)")
    if after[0] != warmed[0]:
        raise SystemExit("warm reads called the catalog")


main()
