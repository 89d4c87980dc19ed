# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""More rules of plugins/module_utils/_http.py, each pinned by what a user sees.

Same set-up as test_http.py, test_http_probe.py and the health_check module tests (whose fake clocks,
servers, certificates and helpers are reused): real servers on 127.0.0.1 and a fake clock for the
schedule.
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote

import pytest
from test_http import FakeTime, _params, _response, schedule
from test_http_probe import recorder

from ansible_collections.gosvc.hardening.plugins.module_utils import _http
from ansible_collections.gosvc.hardening.plugins.module_utils._http import (
    build_config,
    evaluate,
    probe_once,
    run_health_check,
)

# The health_check module tests live next door; their servers and certificates are reused by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from test_health_check import (
    SERVER_DAYS,
    Routes,
    Running,
    UnixHTTPServer,
    _closed_port,
    pki,
    raw_server,
    server_context,
    start_server,
    tls_server,
)

# Fixtures of test_http_probe.py and test_health_check.py, used here by name.
__all__ = ["pki", "raw_server", "recorder", "start_server", "tls_server"]

HINT = (
    " (the server closed the TLS connection after the handshake; if it requires a client certificate, set client_cert)"
)


class JumpingClock:
    """Reads ``first`` the first ``times`` times, then ``later`` ever after: time passes in one step."""

    def __init__(self, first, later, times=1):
        self.readings = [first] * times
        self.later = later

    def __call__(self):
        return self.readings.pop() if self.readings else self.later


# --------------------------------------------------------------------------
# Bodies and messages
# --------------------------------------------------------------------------


def test_a_body_nested_too_deeply_is_explained_in_full():
    """The failure says how deep a document may be, in the words the fix needs."""
    body = b"[" * 101 + b"]" * 101
    failures, _document = evaluate(build_config(_params()), _response(200, body))
    assert failures == [
        "body: the response body is not JSON the probe can read (nested too deeply (more than 100 levels of "
        f"arrays and objects)), starting {body[:120].decode() + '...'!r}; make the endpoint answer with a document "
        "at most 100 levels deep"
    ]


def test_a_body_that_is_not_utf8_is_matched_and_returned_with_replacement_characters(recorder):
    """Invalid UTF-8 neither breaks body_regex nor the returned body: each bad byte reads as U+FFFD."""
    server = recorder((200, b"\xff\xfeready"))
    result = run_health_check(build_config({"url": f"{server.base}/h", "body_regex": "^\ufffd\ufffdready$"}))
    assert result["stop_reason"] == "success", result
    assert result["body"] == "\ufffd\ufffdready"


def test_every_failure_of_an_attempt_is_listed_with_semicolons(recorder):
    """An attempt failing two ways names both, joined by "; ", in its record and in the message."""
    server = recorder((503, b"down"))
    result = run_health_check(build_config({"url": f"{server.base}/h", "body_regex": "ok"}))
    both = "status: expected 200-399, got 503; body_regex: expected a match for /ok/, got a 4-byte body starting 'down'"
    assert result["attempts"][0]["error"] == both
    assert result["msg"] == (
        f"health check of {server.base}/h failed: no success after 1 attempt(s) (retries=0, success_threshold=1); "
        f"last attempt: {both}"
    )


def test_a_unix_socket_url_keeps_its_scheme_and_the_default_http_port():
    """An http+unix URL is plain HTTP on port 80 of localhost, over the socket."""
    target = _http.parse_url("http+unix://%2Frun%2Fapp.sock/healthz")
    assert (target.scheme, target.host, target.port, target.tls) == ("http+unix", "localhost", 80, False)


def test_a_failed_attempt_reports_only_what_it_saw():
    """An attempt whose connection failed has an error and nothing else: no status, location, body or TLS."""
    port = _closed_port()
    response = probe_once(build_config({"url": f"http://127.0.0.1:{port}/h"}), 1.0)
    assert response.error == f"connect to 127.0.0.1:{port} failed: [Errno 111] Connection refused"
    assert (response.status, response.location, response.body, response.tls) == (None, None, b"", None)
    assert response.truncated is False


def test_a_failed_connection_returns_an_empty_body():
    """When nothing was read, the result's body is empty (and not flagged as cut)."""
    result = run_health_check(build_config({"url": f"http://127.0.0.1:{_closed_port()}/h"}))
    assert (result["status"], result["body"], result["body_truncated"]) == (None, "", False)


# --------------------------------------------------------------------------
# One attempt: phases, errors and timing
# --------------------------------------------------------------------------


def test_a_broken_body_names_the_body_phase(raw_server):
    """A chunked body whose chunk size is not hexadecimal fails in the body phase, after the status was read."""
    server = raw_server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    response = probe_once(build_config({"url": f"http://127.0.0.1:{server.port}/h"}), 2.0)
    assert (response.status, response.error) == (
        200,
        f"body to 127.0.0.1:{server.port} failed: IncompleteRead(0 bytes read)",
    )


def test_a_tls_server_hanging_up_without_an_answer_hints_at_client_cert(raw_server, pki):
    """A TLS session the server ends after reading the request (as servers requiring mTLS do) suggests client_cert."""
    server = raw_server(b"", tls_context=server_context(pki))
    url = f"https://127.0.0.1:{server.port}/h"
    result = run_health_check(build_config({"url": url, "ca_path": pki["ca"]}))
    assert result["failures"] == [
        f"response headers to 127.0.0.1:{server.port} failed: Remote end closed connection without response{HINT}"
    ]


def test_an_error_without_a_message_is_named_by_its_type(monkeypatch):
    """An OS error that carries no text is reported by its type, never as an empty reason."""

    def refuse(*_args, **_kwargs):
        raise ConnectionAbortedError

    monkeypatch.setattr(_http.socket, "create_connection", refuse)
    response = probe_once(build_config({"url": "http://127.0.0.1:9/h"}), 1.0)
    assert response.error == "connect to 127.0.0.1:9 failed: ConnectionAbortedError"


def test_latency_is_reported_in_milliseconds_with_one_decimal(recorder):
    """An attempt's latency is its time in milliseconds, rounded to 0.1 ms."""
    server = recorder((200, b"ok"))
    response = probe_once(build_config({"url": f"{server.base}/h"}), 5.0, clock=JumpingClock(0.0, 1.23456))
    assert (response.error, response.latency_ms) == (None, pytest.approx(1234.6, abs=0.001))


def test_elapsed_time_is_reported_in_milliseconds_with_one_decimal(recorder):
    """The whole check's time is in milliseconds, rounded to 0.1 ms."""
    server = recorder((200, b"ok"))
    result = run_health_check(build_config({"url": f"{server.base}/h"}), clock=JumpingClock(0.0, 1.23456))
    assert (result["stop_reason"], result["elapsed_ms"]) == ("success", pytest.approx(1234.6, abs=0.001))


def test_a_unix_socket_request_is_for_host_localhost(tmp_path):
    """Over a unix socket the request carries Host: localhost (the default port is not written)."""

    class EchoHost(BaseHTTPRequestHandler):
        def do_GET(self):
            body = self.headers["Host"].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    path = str(tmp_path / "app.sock")
    running = Running(UnixHTTPServer(path, EchoHost), Routes(), "")
    try:
        result = run_health_check(build_config({"url": "http+unix://" + quote(path, safe="") + "/h"}))
    finally:
        running.stop()
    assert (result["stop_reason"], result["body"]) == ("success", "localhost")


def test_certificate_validity_is_counted_from_the_time_given(tls_server, pki):
    """The remaining days of the server certificate are counted from the check's ``now``."""
    config = build_config({"url": tls_server.url("/healthz"), "ca_path": pki["ca"], "min_cert_days": 5})
    later = run_health_check(config, now=lambda: time.time() + 7 * 86400.0)
    assert later["tls"]["days_remaining"] == SERVER_DAYS - 7
    assert later["failures"][0].startswith(
        f"min_cert_days: expected at least 5 days of validity, got {SERVER_DAYS - 7} days"
    )


# --------------------------------------------------------------------------
# Schedule and deadline
# --------------------------------------------------------------------------


def test_a_deadline_reached_before_the_first_attempt_reports_no_answer():
    """When the deadline is used up before anything was sent, the result says so without a status or body."""
    config = build_config({"url": f"http://127.0.0.1:{_closed_port()}/h", "deadline": 1.0})
    # The check and the schedule start at 0; when the schedule looks again the deadline is reached exactly.
    result = run_health_check(config, clock=JumpingClock(0.0, 1.0, times=2), sleep=lambda seconds: None)
    assert result["attempts"] == []
    assert (result["status"], result["body"], result["body_truncated"], result["json"]) == (None, "", False, None)
    assert result["failures"] == ["success_threshold: expected 1 consecutive successes, got 0"]
    assert result["msg"].endswith(
        "failed: deadline of 1s reached after 0 attempt(s); "
        "last attempt: success_threshold: expected 1 consecutive successes, got 0"
    )


class OversleepingTime(FakeTime):
    """A fake clock whose sleep lasts ``extra`` seconds longer than asked (a loaded host)."""

    def __init__(self, extra):
        super().__init__()
        self.extra = extra

    def sleep(self, seconds):
        super().sleep(seconds)
        self.now += self.extra


def test_no_attempt_starts_once_a_long_sleep_reached_the_deadline():
    """A sleep that overran to the deadline ends the check: no attempt with a budget of nothing starts."""
    fake = OversleepingTime(extra=1.5)
    reason, calls = schedule([False] * 5, fake, retries=4, delay=0.5, backoff=1, deadline=2.0)
    assert (reason, calls) == ("deadline", [(1, 0.0, 2.0)])
    assert fake.sleeps == [0.5]


def test_a_wait_that_would_end_exactly_at_the_deadline_is_not_started():
    """The check stops instead of sleeping up to the deadline, where no attempt could follow."""
    fake = FakeTime()
    reason, calls = schedule([False] * 3, fake, duration=0.5, retries=2, delay=0.5, backoff=1, deadline=1.0)
    assert (reason, calls) == ("deadline", [(1, 0.0, 1.0)])
    assert fake.sleeps == []


def test_the_wait_between_successes_is_capped_at_max_delay():
    """max_delay bounds every wait, also the one between successes while more are needed."""
    fake = FakeTime()
    reason, calls = schedule([True, True], fake, retries=1, success_threshold=2, delay=5, max_delay=2)
    assert (reason, len(calls)) == ("success", 2)
    assert fake.sleeps == [2]


@pytest.mark.parametrize("value", ["token\r\nX-Injected: 1", "token\n", "tok\0en"])
def test_a_header_value_that_would_end_the_header_is_refused_without_showing_it(value):
    with pytest.raises(_http.HealthCheckError) as caught:
        _http.build_config(_params(headers={"Authorization": value}))
    message = str(caught.value)
    assert message == (
        "headers: the value of 'Authorization' holds a line break or a NUL character, which would end the header"
        " early; remove them"
    )
    assert "token" not in message and "tok" not in message


@pytest.mark.parametrize("name", ["X Token", "X:Token", "", "X-Tökén"])
def test_a_header_name_that_is_not_a_token_is_refused(name):
    with pytest.raises(_http.HealthCheckError, match="is not a header name"):
        _http.build_config(_params(headers={name: "v"}))


def test_usual_header_names_pass():
    config = _http.build_config(
        _params(headers={"X-Api-Key": "XXX-key", "Accept": "application/json", "x_b.c~d": "v\tw"})
    )
    assert set(config.headers) == {"X-Api-Key", "Accept", "x_b.c~d"}
