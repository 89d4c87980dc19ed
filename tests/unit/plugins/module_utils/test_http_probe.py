# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_health_check and probe_once against a real HTTP server on 127.0.0.1, with a fake clock for the schedule.

The server answers a queue of (status, body) replies and records each request it received, so the tests
see what went over the wire.
"""

from __future__ import annotations

import contextlib
import socket
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote

import pytest
from support import LocalServer

from ansible_collections.gosvc.hardening.plugins.module_utils._http import build_config, probe_once, run_health_check


class Recorder(LocalServer):
    """A server on 127.0.0.1 answering ``replies`` in turn (the last repeats); ``requests`` holds what arrived."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, with_body):
                recorder.requests.append((self.command, self.path, list(self.headers.items())))
                status, body = recorder.replies.pop(0) if len(recorder.replies) > 1 else recorder.replies[0]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

            def log_message(self, *args):
                pass

        self.serve(Handler)


@pytest.fixture
def recorder():
    started = []

    def _start(*replies):
        started.append(Recorder(replies))
        return started[-1]

    yield _start
    for item in started:
        item.close()


class FakeTime:
    """A clock that moves only when the schedule sleeps."""

    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_deadline_before_enough_successes_reports_the_streak(recorder):
    """Stopping before success_threshold successes in a row names the streak reached, and the whole stop."""
    server = recorder((503, b"down"), (200, b"ok"), (200, b"ok"))
    config = build_config(
        {
            "url": f"{server.base}/ready",
            "retries": 10,
            "delay": 1,
            "backoff": 1,
            "deadline": 2.5,
            "success_threshold": 3,
        }
    )
    fake = FakeTime()
    result = run_health_check(config, clock=fake.clock, sleep=fake.sleep)
    assert [attempt["ok"] for attempt in result["attempts"]] == [False, True, True]
    assert result["failures"] == ["success_threshold: expected 3 consecutive successes, got 2"]
    assert result["msg"] == (
        f"health check of {server.base}/ready failed: deadline of 2.5s reached after 3 attempt(s); "
        "last attempt: success_threshold: expected 3 consecutive successes, got 2"
    )
    assert (result["stop_reason"], result["elapsed_ms"], result["status"]) == ("deadline", 2000.0, 200)
    assert [attempt["latency_ms"] for attempt in result["attempts"]] == [0.0, 0.0, 0.0]


def test_failure_threshold_and_retries_messages(recorder):
    """The stop reason is worded with the settings that caused it."""
    server = recorder((503, b"down"))
    fake = FakeTime()
    base = {"url": f"{server.base}/down", "retries": 5, "delay": 0}
    by_threshold = run_health_check(build_config(dict(base, failure_threshold=2)), clock=fake.clock, sleep=fake.sleep)
    assert by_threshold["msg"] == (
        f"health check of {server.base}/down failed: 2 consecutive failures reached failure_threshold; "
        "last attempt: status: expected 200-399, got 503"
    )
    by_retries = run_health_check(build_config(base), clock=fake.clock, sleep=fake.sleep)
    assert by_retries["msg"] == (
        f"health check of {server.base}/down failed: no success after 6 attempt(s) (retries=5, success_threshold=1); "
        "last attempt: status: expected 200-399, got 503"
    )
    assert by_retries["attempts"][-1] == {
        "attempt": 6,
        "ok": False,
        "status": 503,
        "latency_ms": by_retries["attempts"][-1]["latency_ms"],
        "error": "status: expected 200-399, got 503",
    }


@pytest.mark.parametrize(("limit", "truncated"), [(10, False), (9, True)])
def test_max_body_bytes_is_the_most_read(recorder, limit, truncated):
    """A body of exactly max_body_bytes is read whole; one byte more is cut to max_body_bytes and flagged."""
    server = recorder((200, b"0123456789"))
    result = run_health_check(build_config({"url": f"{server.base}/b", "max_body_bytes": limit}))
    assert (result["body"], result["body_truncated"]) == ("0123456789"[:limit], truncated)


@pytest.mark.parametrize(("limit", "truncated"), [(10, False), (9, True)])
def test_return_body_bytes_is_the_most_returned(recorder, limit, truncated):
    """The result holds at most return_body_bytes of the body, flagged when it holds less than was read."""
    server = recorder((200, b"0123456789"))
    result = run_health_check(build_config({"url": f"{server.base}/b", "return_body_bytes": limit}))
    assert (result["body"], result["body_truncated"]) == ("0123456789"[:limit], truncated)


def test_a_json_body_with_failures_is_still_returned(recorder):
    """The parsed document of the last attempt is returned even when an assertion failed."""
    server = recorder((200, b'{"status": "down"}'))
    result = run_health_check(
        build_config({"url": f"{server.base}/j", "json_assertions": [{"path": "status", "equals": "ok"}]})
    )
    assert result["json"] == {"status": "down"}
    assert result["failures"] == ['json_assertions[0] (status): expected equals "ok", got "down"']


def test_the_request_carries_the_agent_connection_close_and_the_headers_given(recorder):
    """Each request names the probe, asks to close the connection, and carries the task's headers (which win)."""
    server = recorder((204, b""))
    run_health_check(build_config({"url": f"{server.base}/h?x=1", "method": "HEAD", "headers": {"X-Probe": 7}}))
    run_health_check(build_config({"url": f"{server.base}/h", "headers": {"User-Agent": "mine"}}))
    (method, path, headers), (_method, _path, overridden) = server.requests
    assert (method, path) == ("HEAD", "/h?x=1")
    sent = dict(headers)
    assert (sent["User-Agent"], sent["Connection"], sent["X-Probe"]) == ("gosvc.hardening-health_check", "close", "7")
    assert dict(overridden)["User-Agent"] == "mine"


@pytest.fixture
def full_listener(tmp_path):
    """Listening sockets (TCP on 127.0.0.1 and unix) whose accept queues are full: a new connect cannot complete."""
    opened = []

    def _make(family, address):
        server = socket.socket(family)
        server.bind(address)
        server.listen(0)
        opened.append(server)
        for _attempt in range(3):
            filler = socket.socket(family)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(server.getsockname())
            opened.append(filler)
        return server.getsockname()

    yield _make
    for item in opened:
        item.close()


def test_a_tcp_connect_that_hangs_ends_with_the_attempt_budget(full_listener):
    """Connecting is bounded by the attempt's budget: a listener that never completes the handshake times out."""
    _host, port = full_listener(socket.AF_INET, ("127.0.0.1", 0))
    result = run_health_check(build_config({"url": f"http://127.0.0.1:{port}/healthz", "timeout": 0.3}))
    assert result["failures"] == ["connect timed out (attempt budget 0.3s)"]


def test_a_unix_socket_connect_never_blocks_past_the_budget(full_listener, tmp_path):
    """A unix socket whose queue is full fails the attempt at once instead of waiting without a bound."""
    path = full_listener(socket.AF_UNIX, str(tmp_path / "app.sock"))
    url = "http+unix://" + quote(path, safe="") + "/healthz"
    result = run_health_check(build_config({"url": url, "timeout": 0.3}))
    assert result["failures"] == [f"connect to unix socket {path} failed: [Errno 11] Resource temporarily unavailable"]


def test_an_attempt_whose_budget_is_used_up_stops_before_the_request(recorder):
    """When the clock reaches the attempt's end, the attempt fails before sending the request."""
    server = recorder((200, b"ok"))
    readings = iter([0.0])

    def clock():
        return next(readings, 1.0)  # started at 0.0, then exactly at the end of a 1 s budget

    response = probe_once(build_config({"url": f"{server.base}/h"}), 1.0, clock=clock)
    assert (response.error, response.status) == ("request timed out (attempt budget 1s)", None)
    assert server.requests == []
