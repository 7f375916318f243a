#!/usr/bin/env python3
"""Hold many idle keep-alive HTTP connections to a server and measure what they cost.

Steps (loopback only, bounded in time):
  1. warm the server up with a few requests, record its RSS (VmRSS of --pid);
  2. open --count connections (source addresses 127.0.0.1..127.0.0.N round robin), each sends
     one keep-alive `GET /healthz` and reads the full answer, then stays idle;
  3. after --settle seconds record the RSS again;
  4. time --probes sequential `GET /healthz` on one fresh keep-alive connection;
  5. after --hold more seconds count how many idle connections the server still keeps open;
  6. close everything and print a report (and a TSV row with --tsv FILE).
Uses only the standard library.
"""

import argparse
import errno
import math
import selectors
import socket
import statistics
import sys
import time

IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def response_end(buffer):
    """Length of the first complete HTTP response in buffer, or None if incomplete."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    length = 0
    for line in buffer[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            end = buffer.find(b"\r\n0\r\n\r\n", head_end)
            return None if end < 0 else end + 7
    total = head_end + 4 + length
    return total if len(buffer) >= total else None


def status_of(response):
    return int(response.split(b" ", 2)[1])


class Conn:
    __slots__ = ("sock", "buffer", "sent")

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.sent = 0


def open_idle_connections(port, count, sources, in_flight, deadline):
    """Opens `count` connections that each completed one keep-alive request.

    Returns (established sockets, number of failures)."""
    selector = selectors.DefaultSelector()
    established, failures, started, pending = [], 0, 0, 0

    def start(index):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((f"127.0.0.{1 + index % sources}", 0))
        sock.setblocking(False)
        err = sock.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            return False
        selector.register(sock, selectors.EVENT_WRITE, Conn(sock))
        return True

    def fail(conn):
        nonlocal failures, pending
        selector.unregister(conn.sock)
        conn.sock.close()
        failures += 1
        pending -= 1

    while (started < count or pending) and time.monotonic() < deadline:
        while started < count and pending < in_flight:
            started += 1
            if start(started):
                pending += 1
            else:
                failures += 1
        for key, events in selector.select(timeout=1.0):
            conn = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    conn.sent += conn.sock.send(REQUEST[conn.sent:])
                    if conn.sent == len(REQUEST):
                        selector.modify(conn.sock, selectors.EVENT_READ, conn)
                    continue
                chunk = conn.sock.recv(65536)
                if not chunk:
                    fail(conn)
                    continue
                conn.buffer += chunk
                end = response_end(conn.buffer)
                if end is not None:
                    selector.unregister(conn.sock)
                    pending -= 1
                    if status_of(conn.buffer) == 200:
                        established.append(conn.sock)
                    else:
                        conn.sock.close()
                        failures += 1
            except OSError:
                fail(conn)
    for key in list(selector.get_map().values()):  # deadline hit: drop the stragglers
        key.fileobj.close()
        failures += 1
    selector.close()
    return established, failures + (count - started)


def still_open(sockets):
    """Number of sockets whose peer has neither closed nor reset them."""
    alive = 0
    for sock in sockets:
        try:
            data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            alive += 1 if data else 0  # b"" means the server closed it
        except BlockingIOError:
            alive += 1  # nothing to read: still open and idle
        except OSError:
            pass
    return alive


def probe_latencies(port, probes, timeout):
    """Milliseconds of `probes` sequential keep-alive GET /healthz on one new connection."""
    latencies = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        for _ in range(probes):
            begin = time.perf_counter()
            sock.sendall(REQUEST)
            while (end := response_end(buffer)) is None:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the probe connection")
                buffer += chunk
            latencies.append((time.perf_counter() - begin) * 1000)
            if status_of(buffer) != 200:
                raise ConnectionError(f"probe got status {status_of(buffer)}")
            buffer = buffer[end:]
    return latencies


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="server process whose RSS is measured")
    parser.add_argument("--count", type=int, default=10000, help="idle connections (default 10000)")
    parser.add_argument("--sources", type=int, default=4, help="source addresses 127.0.0.1..N (default 4)")
    parser.add_argument("--in-flight", type=int, default=200, help="connections being set up at once")
    parser.add_argument("--probes", type=int, default=100, help="timed requests (default 100)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before the second RSS reading")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds held after the probes")
    parser.add_argument("--open-timeout", type=float, default=120.0, help="time allowed to open them all")
    parser.add_argument("--label", default="server")
    parser.add_argument("--tsv", help="append: label count open rss_before_kib rss_after_kib "
                        "per_conn_kib p50_ms p99_ms max_ms")
    args = parser.parse_args()

    probe_latencies(args.port, 10, timeout=5)  # warm-up, so the baseline includes first-use costs
    time.sleep(0.5)
    rss_before = rss_kib(args.pid)

    begin = time.monotonic()
    sockets, failures = open_idle_connections(
        args.port, args.count, args.sources, args.in_flight, begin + args.open_timeout)
    opened_in = time.monotonic() - begin
    try:
        time.sleep(args.settle)
        rss_after = rss_kib(args.pid)
        try:
            latencies = probe_latencies(args.port, args.probes, timeout=10)
        except OSError as error:
            print(f"probe failed: {error}", file=sys.stderr)
            latencies = []
        time.sleep(args.hold)
        alive = still_open(sockets)
    finally:
        for sock in sockets:
            sock.close()

    delta = rss_after - rss_before
    per_conn = delta / len(sockets) if sockets else float("nan")
    if latencies:
        p50, p99, worst = percentile(latencies, 0.50), percentile(latencies, 0.99), max(latencies)
    else:
        p50 = p99 = worst = float("nan")
    print(f"idle connections: {len(sockets)} of {args.count} established in {opened_in:.1f}s "
          f"({failures} failed)")
    print(f"server RSS:       {rss_before} KiB before, {rss_after} KiB with them open")
    print(f"RSS delta:        {delta} KiB total, {per_conn:.2f} KiB per connection")
    print(f"fresh /healthz:   {len(latencies)} requests, p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
          f"max {worst:.3f} ms (mean {statistics.fmean(latencies) if latencies else float('nan'):.3f})")
    print(f"still open:       {alive} of {len(sockets)} idle connections after "
          f"{args.settle + args.hold:.0f}s + probes")
    if args.tsv:
        with open(args.tsv, "a") as out:
            out.write(f"{args.label}\t{args.count}\t{alive}\t{rss_before}\t{rss_after}\t"
                      f"{per_conn:.2f}\t{p50:.3f}\t{p99:.3f}\t{worst:.3f}\n")
    if alive != args.count or not latencies:
        print("WARNING: not every idle connection was held open, or the probe failed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
