#!/usr/bin/env python3
"""Clicks arriving at a fixed rate at random (Poisson) moments, whatever the answers do (open loop), for
--seconds; prints one parsable line:

    PACED <clicks> <p50_ms> <p90_ms> <p99_ms> <max_ms> <failures>

The latency of a click is counted from the moment it was due, so a load generator that falls behind
shows as latency too. Uses load_proof.py's generator, so both benchmarks measure the same way.
"""

import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_proof import nearest_rank, open_loop_clicks  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--session", required=True, help="the fsr_session cookie's value")
    parser.add_argument("--rate", type=float, default=200, help="clicks per second")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    latencies, failures = asyncio.run(open_loop_clicks(args.port, args.session, args.rate, args.seconds))
    if not latencies:
        print(f"PACED 0 nan nan nan nan {failures}")
        return 1
    quantiles = " ".join(f"{nearest_rank(latencies, q):.2f}" for q in (0.5, 0.9, 0.99))
    print(f"PACED {len(latencies)} {quantiles} {latencies[-1]:.2f} {failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
