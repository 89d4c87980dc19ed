# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_wait: unit states from a scripted systemctl, time from a fake clock, real HTTP probes."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_wait as sw

ACTIVE = {
    "LoadState": "loaded",
    "ActiveState": "active",
    "SubState": "running",
    "Result": "success",
    "MainPID": "42",
    "NRestarts": "0",
}


def show(**changes):
    props = dict(ACTIVE, **changes)
    return "".join(f"{k}={v}\n" for k, v in props.items())


class Host:
    """systemctl answers from a script of `show` outputs (the last one repeats); a fake clock."""

    def __init__(self, *outputs):
        self.outputs = list(outputs)
        self.now = 0.0
        self.slept = []
        self.reads = 0

    def run(self, argv):
        assert argv[:4] == ["/bin/systemctl", "show", "-p", ",".join(sw.UNIT_KEYS)] and argv[-2:] == [
            "--",
            "demo.service",
        ]
        self.reads += 1
        out = self.outputs.pop(0) if len(self.outputs) > 1 else self.outputs[0]
        return 0, out, ""

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def wait(self, timeout=10.0, **kwargs):
        return sw.wait_for_service(
            self.run, "/bin/systemctl", "demo.service", timeout, clock=self.clock, sleep=self.sleep, **kwargs
        )


@pytest.fixture
def server():
    answers = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            codes = answers[self.path]
            code = codes.pop(0) if len(codes) > 1 else codes[0]
            body = b'{"status":"ok"}'
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def routes(**paths):
        answers.update({f"/{name}": list(codes) for name, codes in paths.items()})
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield routes
    httpd.shutdown()
    httpd.server_close()


def test_active_at_once_then_healthy_and_ready_twice(server):
    base = server(healthz=[200], readyz=[200])
    host = Host(show())
    result = host.wait(
        health=sw.probe_config("health_url", base + "/healthz", 10, 1),
        readiness=sw.probe_config("ready_url", base + "/readyz", 10, 2),
    )
    assert not result["failed"], result
    assert host.reads == 1 and result["state"]["MainPID"] == "42"
    assert result["liveness"]["stop_reason"] == "success"
    assert [a["ok"] for a in result["readiness"]["attempts"]] == [True, True]


def test_activating_is_polled_until_active():
    host = Host(show(ActiveState="activating", SubState="start"), show(ActiveState="activating"), show())
    result = host.wait()
    assert not result["failed"] and host.reads == 3
    assert host.slept == [sw.POLL_SECONDS, sw.POLL_SECONDS]


def test_a_failed_unit_fails_at_once_with_its_state():
    host = Host(show(ActiveState="failed", SubState="failed", Result="exit-code", MainPID="0", NRestarts="3"))
    result = host.wait(timeout=60)
    assert result["failed"] and host.slept == []
    assert result["msg"] == (
        "demo.service is not active after it failed: ActiveState=failed, SubState=failed, Result=exit-code, "
        "NRestarts=3; see journalctl -u demo.service"
    )


def test_a_unit_still_activating_at_the_timeout_fails_naming_it():
    host = Host(show(ActiveState="activating", SubState="auto-restart", Result="exit-code"))
    result = host.wait(timeout=2)
    assert result["failed"]
    assert result["msg"].startswith(
        "demo.service is not active after 2s: ActiveState=activating, SubState=auto-restart"
    )
    assert sum(host.slept) == pytest.approx(2)


def test_an_unknown_unit_is_named():
    result = Host(show(LoadState="not-found", ActiveState="inactive")).wait()
    assert result["failed"] and "not known to systemd" in result["msg"]


def test_settle_sees_a_crash_right_after_the_start():
    host = Host(show(), show(ActiveState="activating", SubState="auto-restart", MainPID="0", Result="signal"))
    result = host.wait(settle=3)
    assert result["failed"] and host.slept == [3]
    assert result["msg"].startswith(
        "demo.service did not stay up: ActiveState=activating, Result=signal, main PID 42 -> 0 within 3s of the start"
    )


def test_settle_passes_when_the_same_process_is_still_up():
    host = Host(show(), show())
    result = host.wait(settle=3)
    assert not result["failed"] and result["settled"]["MainPID"] == "42"


def test_not_ready_fails_with_the_health_check_message(server):
    base = server(healthz=[200], readyz=[503])
    result = Host(show()).wait(
        timeout=3,
        health=sw.probe_config("health_url", base + "/healthz", 3, 1),
        readiness=sw.probe_config("ready_url", base + "/readyz", 3, 2),
    )
    assert result["failed"] and result["liveness"]["stop_reason"] == "success"
    assert result["msg"].startswith(f"health check of {base}/readyz failed: ")
    assert "got 503" in result["msg"]


def test_an_unhealthy_service_is_not_asked_whether_it_is_ready(server):
    base = server(healthz=[500], readyz=[200])
    result = Host(show()).wait(
        timeout=2,
        health=sw.probe_config("health_url", base + "/healthz", 2, 1),
        readiness=sw.probe_config("ready_url", base + "/readyz", 2, 2),
    )
    assert result["failed"] and result["readiness"] is None
    assert result["msg"].startswith(f"health check of {base}/healthz failed: ")


def test_a_bad_url_is_named():
    with pytest.raises(sw.WaitInputError, match="ready_url 'ftp://x'"):
        sw.probe_config("ready_url", "ftp://x", 10, 2)
