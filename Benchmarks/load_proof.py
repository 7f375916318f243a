#!/usr/bin/env python3
"""The load proof: full clicks against the simulator with upstream latency, idle connections held
at the same time, and memory over a soak. Drives a running demo (Benchmarks/load-proof.sh starts it).

Phases, each bounded in time:
  1. the simulator adds --upstream-ms to every Fullscript call;
  2. --idle keep-alive connections are opened and left idle;
  3. wrk runs `GET /recommend/p-1001` with the session cookie on --clicks connections for
     --click-seconds, then at --moderate connections; then --open-loop-rate clicks/s arrive at random
     moments: latency minus the upstream's is what we add;
  4. the idle connections are counted again: every one must still be open;
  5. --soak-seconds of clicks at --soak-conns connections, the server's RSS sampled after each slice.
Prints a report; exits 1 when a click failed, an idle connection was lost or RSS grew past --max-growth-mib.
"""

import argparse
import asyncio
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idle_connections import open_idle_connections, rss_kib, still_open  # noqa: E402

REPORTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk-report.lua")


def set_upstream_latency(sandbox_port, milliseconds):
    request = urllib.request.Request(
        f"http://127.0.0.1:{sandbox_port}/_sandbox/faults", method="POST",
        data=json.dumps([{"latency_ms": milliseconds}] if milliseconds else []).encode())
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 204, answer.status


def server_side_sums(port, key):
    """From /metrics: (clicks answered 302, seconds spent in them, seconds spent in their draft-link calls)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {key}"})
    # Read just after a burst, while the server may still finish the clicks wrk gave up on: on a loaded machine
    # that took over 5 s once. The proof's verdict is the clicks' errors, not how fast this read is.
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode()

    def value(series):
        match = re.search("^" + re.escape(series) + r" (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    click = 'method="GET",route="/recommend/:patientId",status="302"'
    draft = 'endpoint="create_draft_treatment_plan_link",outcome="ok"'
    return (value(f"http_request_duration_seconds_count{{{click}}}"), value(f"http_request_duration_seconds_sum{{{click}}}"),
            value(f"fullscript_request_duration_seconds_sum{{{draft}}}"))


def measured(port, key, run):
    """Runs `run` and adds the mean time per click our server spent outside the Fullscript call."""
    before = server_side_sums(port, key)
    result = run()
    after = server_side_sums(port, key)
    count = after[0] - before[0]
    result["ours_mean"] = ((after[1] - before[1]) - (after[2] - before[2])) / count * 1000 if count else float("nan")
    return result


def clicks(port, session, connections, seconds):
    """Runs wrk; returns requests, duration in s, latency percentiles in ms and error counts."""
    threads = min(2, connections)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-H", f"Cookie: fsr_session={session}", "-s", REPORTER, f"http://127.0.0.1:{port}/recommend/p-1001"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    match = re.search(r"^WRK_RESULT (.*)$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, duration_us, p50, p90, p99, p999, worst, socket_errors, http_errors = map(int, match.group(1).split())
    return {
        "requests": requests, "seconds": duration_us / 1e6, "rate": requests / (duration_us / 1e6),
        "p50": p50 / 1000, "p90": p90 / 1000, "p99": p99 / 1000, "p999": p999 / 1000, "max": worst / 1000,
        "errors": socket_errors + http_errors,
    }


async def open_loop_clicks(port, session, rate, seconds, seed=7):
    """Clicks arriving at `rate` per second at random (Poisson) moments, whatever the answers do.

    A closed loop (wrk) with one fixed upstream latency sends its clicks in lockstep bursts; arrivals
    that do not wait on each other measure the time we add rather than the queue a burst builds.
    Returns the latencies in ms and the number of failures."""
    rng = random.Random(seed)
    request = (f"GET /recommend/p-1001 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: fsr_session={session}\r\n\r\n").encode()
    idle = []
    latencies, failures = [], 0

    async def one(scheduled):
        nonlocal failures
        connection = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
        reader, writer = connection
        try:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            if length and int(length.group(1)):
                await reader.readexactly(int(length.group(1)))
            if not head.startswith(b"HTTP/1.1 302"):
                failures += 1
            idle.append(connection)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            failures += 1
            writer.close()

    tasks = []
    start = time.perf_counter()
    next_at = start
    while next_at < start + seconds:
        delay = next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(next_at)))
        next_at += rng.expovariate(rate)
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return sorted(latencies), failures


def nearest_rank(values, fraction):
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


def describe(label, result, upstream_ms):
    added = ", ".join(f"{name} {result[name] - upstream_ms:.2f}" for name in ("p50", "p90", "p99"))
    print(f"  {label}: {result['requests']} clicks in {result['seconds']:.1f} s = {result['rate']:.0f}/s, "
          f"latency ms p50 {result['p50']:.1f} p90 {result['p90']:.1f} p99 {result['p99']:.1f} "
          f"p99.9 {result['p999']:.1f} max {result['max']:.1f}; added over the upstream's {upstream_ms} ms: {added}; "
          f"errors {result['errors']}; server-side mean outside the Fullscript call {result['ours_mean']:.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sandbox-port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the demo process (server and simulator)")
    parser.add_argument("--session", required=True)
    parser.add_argument("--service-key", required=True, help="an operator key, for /metrics (the demo prints one)")
    parser.add_argument("--upstream-ms", type=int, default=150)
    parser.add_argument("--clicks", type=int, default=1000, help="concurrent click connections")
    parser.add_argument("--click-seconds", type=int, default=10)
    parser.add_argument("--moderate", type=int, default=100, help="concurrency for the added-latency run")
    parser.add_argument("--open-loop-rate", type=float, default=200, help="clicks/s at random moments (0: skip)")
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--soak-seconds", type=int, default=600)
    parser.add_argument("--soak-conns", type=int, default=100)
    parser.add_argument("--soak-slice", type=int, default=30)
    parser.add_argument("--max-growth-mib", type=float, default=32.0)
    args = parser.parse_args()
    failed = []

    set_upstream_latency(args.sandbox_port, args.upstream_ms)
    bound = args.clicks / (args.upstream_ms / 1000)
    print(f"upstream latency {args.upstream_ms} ms on every Fullscript call; "
          f"{args.clicks} connections can at most make {bound:.0f} clicks/s")

    rss_start = rss_kib(args.pid)
    begin = time.monotonic()
    idle, idle_failures = open_idle_connections(args.port, args.idle, 4, 200, begin + 120)
    print(f"  {len(idle)} idle keep-alive connections opened in {time.monotonic() - begin:.1f} s "
          f"({idle_failures} failed); RSS {rss_start / 1024:.1f} → {rss_kib(args.pid) / 1024:.1f} MiB")
    if len(idle) != args.idle:
        failed.append(f"only {len(idle)} of {args.idle} idle connections opened")
    try:
        burst = measured(args.port, args.service_key, lambda: clicks(args.port, args.session, args.clicks, args.click_seconds))
        describe(f"{args.clicks} concurrent", burst, args.upstream_ms)
        print(f"    {burst['rate'] / bound * 100:.0f}% of the upstream bound")
        moderate = measured(args.port, args.service_key,
                            lambda: clicks(args.port, args.session, args.moderate, args.click_seconds))
        describe(f"{args.moderate} concurrent", moderate, args.upstream_ms)
        for result in (burst, moderate):
            if result["errors"]:
                failed.append(f"{result['errors']} clicks failed")
        if args.open_loop_rate:
            def paced():
                latencies, failures = asyncio.run(
                    open_loop_clicks(args.port, args.session, args.open_loop_rate, args.click_seconds))
                return {"latencies": latencies, "failures": failures}
            paced_run = measured(args.port, args.service_key, paced)
            latencies = paced_run["latencies"]
            added = {q: nearest_rank(latencies, q) - args.upstream_ms for q in (0.5, 0.9, 0.99)}
            print(f"  {args.open_loop_rate}/s at random moments (open loop): {len(latencies)} clicks, latency ms "
                  f"p50 {nearest_rank(latencies, 0.5):.1f} p99 {nearest_rank(latencies, 0.99):.1f} "
                  f"max {latencies[-1]:.1f}; added over the upstream's {args.upstream_ms} ms: p50 {added[0.5]:.2f}, "
                  f"p90 {added[0.9]:.2f}, p99 {added[0.99]:.2f}; failures {paced_run['failures']}; "
                  f"server-side mean outside the Fullscript call {paced_run['ours_mean']:.2f} ms")
            if paced_run["failures"]:
                failed.append(f"{paced_run['failures']} paced clicks failed")
        alive = still_open(idle)
        print(f"  idle connections still open after the clicks: {alive} of {len(idle)}")
        if alive != len(idle):
            failed.append(f"{len(idle) - alive} idle connections were closed")
        print(f"  RSS with everything open: {rss_kib(args.pid) / 1024:.1f} MiB")
    finally:
        for sock in idle:
            sock.close()

    if args.soak_seconds > 0:
        print(f"soak: clicks on {args.soak_conns} connections for {args.soak_seconds} s, RSS after each {args.soak_slice} s")
        samples = [rss_kib(args.pid)]
        total, errors, elapsed = 0, 0, 0
        while elapsed < args.soak_seconds:
            seconds = min(args.soak_slice, args.soak_seconds - elapsed)
            result = clicks(args.port, args.session, args.soak_conns, seconds)
            total, errors, elapsed = total + result["requests"], errors + result["errors"], elapsed + seconds
            samples.append(rss_kib(args.pid))
        # The first slice warms pools and caches up; growth is judged from there on.
        warm, end = samples[1], samples[-1]
        print(f"  {total} clicks, {errors} errors; RSS MiB before {samples[0] / 1024:.1f}, after the first slice "
              f"{warm / 1024:.1f}, end {end / 1024:.1f}, max {max(samples) / 1024:.1f}")
        print("  samples MiB: " + " ".join(f"{sample / 1024:.1f}" for sample in samples))
        if errors:
            failed.append(f"{errors} soak clicks failed")
        if (end - warm) / 1024 > args.max_growth_mib:
            failed.append(f"RSS grew {(end - warm) / 1024:.1f} MiB during the soak")

    set_upstream_latency(args.sandbox_port, 0)
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
