# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded, steady HTTP load against one URL, counting every failed request (standard library only).

Runs inside a test host, against its own service on loopback, while a deploy restarts that service:

    load.py --url http://127.0.0.1:80/ --rate 200 --slow-url 'http://127.0.0.1:80/?delay_ms=2000' \\
            --stop-file /run/load.stop --max-seconds 120 --out /root/load.json

Requests start at a fixed rate (a late one starts at once, none is skipped), each on its own connection,
with a 3 s deadline. A failed request is one refused, reset, closed early, answered with a status other
than 2xx, or not answered within 3 s. Every ``--slow-every`` seconds a slow request (``--slow-url``, a
2 s answer) starts too: it must complete. The run ends when ``--stop-file`` exists or after
``--max-seconds`` (a hard stop), waits for the requests in flight, and writes a JSON summary to ``--out``.
While ``--pause-file`` exists no request starts (the host is out of its load balancer's pool): the
seconds paused are reported, and the rate resumes without a burst.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

DEADLINE = 3.0


def classify(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "closed"
    return "other"


def fetch(url: str, deadline: float) -> tuple:
    """``(outcome, seconds)``: outcome ``ok``, or why the request failed."""
    parts = urllib.parse.urlsplit(url)
    start = time.monotonic()
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=deadline)
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""), headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        elapsed = time.monotonic() - start
        if not 200 <= response.status < 300:
            return f"status {response.status}", elapsed
        if elapsed > deadline:
            return "timeout", elapsed
        return "ok", elapsed
    except Exception as exc:  # every failure is counted by kind, none stops the load
        return classify(exc), time.monotonic() - start
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--slow-url", default="")
    parser.add_argument("--slow-every", type=float, default=5.0)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--pause-file", default="")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    lock = threading.Lock()
    counts: dict = {
        "sent": 0,
        "ok": 0,
        "failed": 0,
        "by_kind": {},
        "slow_sent": 0,
        "slow_ok": 0,
        "slow_failed": [],
        "paused_seconds": 0.0,
    }
    failures: list = []
    began = time.monotonic()

    def one(url: str, slow: bool) -> None:
        outcome, seconds = fetch(url, DEADLINE + (2.5 if slow else 0.0))
        at = round(time.monotonic() - began, 3)
        with lock:
            if slow:
                if outcome == "ok":
                    counts["slow_ok"] += 1
                else:
                    counts["slow_failed"].append({"at": at, "why": outcome})
            elif outcome == "ok":
                counts["ok"] += 1
            else:
                counts["failed"] += 1
                counts["by_kind"][outcome] = counts["by_kind"].get(outcome, 0) + 1
                if len(failures) < 50:
                    failures.append({"at": at, "why": outcome, "seconds": round(seconds, 3)})

    interval = 1.0 / args.rate
    next_at = began
    next_slow = began + 1.0
    with ThreadPoolExecutor(max_workers=64) as pool:
        while True:
            now = time.monotonic()
            if now - began >= args.max_seconds or os.path.exists(args.stop_file):
                break
            if args.pause_file and os.path.exists(args.pause_file):
                time.sleep(0.01)
                counts["paused_seconds"] += time.monotonic() - now
                next_at = max(next_at, time.monotonic())
                next_slow = max(next_slow, time.monotonic() + 1.0)
                continue
            if args.slow_url and now >= next_slow:
                counts["slow_sent"] += 1
                pool.submit(one, args.slow_url, True)
                next_slow += args.slow_every
            if now >= next_at:
                counts["sent"] += 1
                pool.submit(one, args.url, False)
                next_at += interval
            else:
                time.sleep(min(next_at - now, 0.005))
    counts["seconds"] = round(time.monotonic() - began, 1)
    counts["paused_seconds"] = round(counts["paused_seconds"], 1)
    counts["rate_achieved"] = round(counts["sent"] / counts["seconds"], 1) if counts["seconds"] else 0.0
    counts["failures"] = failures
    with open(args.out + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(counts, handle, indent=1, sort_keys=True)
    os.replace(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
