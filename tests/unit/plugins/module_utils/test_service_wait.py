# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_wait: unit states from captured systemctl output, time from a fake clock, real HTTP probes.

``systemctl show`` answers with what systemd 247 and 252 printed for demo.service
(tests/unit/data/service_probe/<release>/, see its README): running (``unit.running.txt``),
after ``systemctl stop`` (``unit.stopped.txt``) and for a unit systemd does not know
(``unit.missing.txt``, captured for no-such-unit.service). The capture asked for the properties
service_probe reads, a superset of service_wait's (checked below); systemctl prints one
``Key=value`` line per property asked for, so service_wait reads two lines it did not ask for
(User, InvocationID), unchanged.

Two states have no capture: a unit that reached ``failed`` (Result=exit-code, NRestarts=3) and
one in ``auto-restart``. The one test of the ``failed`` rule below still types its ``systemctl
show`` lines, and says so.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_wait as sw

DATA = Path(__file__).resolve().parents[2] / "data" / "service_probe"
RELEASES = ("debian11", "debian12")


def capture(release, name):
    """The captured stdout ``name`` of ``release`` and the unit it was captured for."""
    manifest = json.loads((DATA / release / "manifest.json").read_text())
    (entry,) = [c for c in manifest["captures"] if c["name"] == name]
    argv = entry["argv"]
    assert argv[:3] == ["systemctl", "show", "-p"] and entry["rc"] == 0 and entry["stderr"] == ""
    # The capture holds every property service_wait asks for.
    assert set(sw.UNIT_KEYS) <= set(argv[3].split(","))
    return (DATA / release / name).read_text(), argv[-1]


def running(release):
    return capture(release, "unit.running.txt")[0]


def stopped(release):
    return capture(release, "unit.stopped.txt")[0]


def main_pid(release):
    return sw.parse_show(running(release))["MainPID"]


class Host:
    """systemctl answers from a script of `show` outputs (the last one repeats); a fake clock."""

    def __init__(self, *outputs, unit="demo.service"):
        self.outputs = list(outputs)
        self.unit = unit
        self.now = 0.0
        self.slept = []
        self.reads = 0

    def run(self, argv):
        assert argv == ["/bin/systemctl", "show", "-p", ",".join(sw.UNIT_KEYS), "--", self.unit]
        self.reads += 1
        out = self.outputs.pop(0) if len(self.outputs) > 1 else self.outputs[0]
        return 0, out, ""

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def wait(self, timeout=10.0, **kwargs):
        # The test's HTTP server runs in this process, not in the unit: owner checks have tests of their own.
        kwargs.setdefault("check_owner", False)
        return sw.wait_for_service(
            self.run, "/bin/systemctl", self.unit, timeout, clock=self.clock, sleep=self.sleep, **kwargs
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
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def routes(**paths):
        answers.update({f"/{name}": list(codes) for name, codes in paths.items()})
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield routes
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("release", RELEASES)
def test_active_at_once_then_healthy_and_ready_twice(server, release):
    base = server(healthz=[200], readyz=[200])
    host = Host(running(release))
    result = host.wait(
        health=sw.probe_config("health_url", base + "/healthz", 10, 1),
        readiness=sw.probe_config("ready_url", base + "/readyz", 10, 2),
    )
    assert not result["failed"], result
    # One read until active, one between the two readiness attempts (a failed unit ends the wait).
    assert host.reads == 2 and result["state"]["MainPID"] == main_pid(release) != "0"
    assert result["liveness"]["stop_reason"] == "success"
    assert [a["ok"] for a in result["readiness"]["attempts"]] == [True, True]


def test_a_health_answer_from_another_process_fails_naming_it(server):
    """The test's server stands for another service on the probed port: this process is not demo.service."""
    base = server(healthz=[200], readyz=[200])
    host = Host(running("debian12"))
    result = host.wait(health=sw.probe_config("health_url", base + "/healthz", 10, 1), check_owner=True)
    assert result["failed"]
    assert result["liveness"]["stop_reason"] == "success"  # it answered; the answer is not the unit's
    assert result["msg"].startswith(f"{base}/healthz is answered by pid {os.getpid()} (")
    assert f"not {host.unit}: another service listens on that address" in result["msg"]
    assert [item["pid"] for item in result["owners"]["liveness"]] == [os.getpid()]


def test_a_health_answer_from_the_unit_itself_passes(server, monkeypatch):
    """The same server, with this process's unit read as the unit's own (its cgroup)."""
    base = server(healthz=[200], readyz=[200])
    host = Host(running("debian12"))
    monkeypatch.setattr(
        "ansible_collections.gosvc.hardening.plugins.module_utils._listeners.unit_of",
        lambda pid, proc="/proc": host.unit,
    )
    result = host.wait(health=sw.probe_config("health_url", base + "/healthz", 10, 1), check_owner=True)
    assert not result["failed"], result.get("msg")
    assert result["owners"]["liveness"] == [{"pid": os.getpid(), "unit": host.unit}]


@pytest.mark.parametrize("release", RELEASES)
def test_a_unit_not_active_yet_is_polled_until_active(release):
    host = Host(stopped(release), stopped(release), running(release))
    result = host.wait()
    assert not result["failed"] and host.reads == 3
    assert host.slept == [sw.POLL_SECONDS, sw.POLL_SECONDS]
    assert result["state"]["ActiveState"] == "active"


@pytest.mark.parametrize("release", RELEASES)
def test_a_unit_still_inactive_at_the_timeout_fails_naming_its_state(release):
    host = Host(stopped(release))
    result = host.wait(timeout=2)
    assert result["failed"]
    assert result["msg"] == (
        "demo.service is not active after 2s: ActiveState=inactive, SubState=dead, Result=success, NRestarts=0; "
        "see journalctl -u demo.service"
    )
    assert sum(host.slept) == pytest.approx(2)


@pytest.mark.parametrize("release", RELEASES)
def test_an_unknown_unit_is_named(release):
    text, unit = capture(release, "unit.missing.txt")
    result = Host(text, unit=unit).wait()
    assert result["failed"] and result["msg"] == f"{unit} is not known to systemd (LoadState=not-found)"


@pytest.mark.parametrize("release", RELEASES)
def test_settle_sees_the_service_gone_right_after_the_start(release):
    host = Host(running(release), stopped(release))
    result = host.wait(settle=3)
    assert result["failed"] and host.slept == [3]
    assert result["msg"].startswith(
        f"demo.service did not stay up: ActiveState=inactive, Result=success, main PID {main_pid(release)} -> 0 "
        "within 3s of the start"
    )


@pytest.mark.parametrize("release", RELEASES)
def test_settle_passes_when_the_same_process_is_still_up(release):
    host = Host(running(release), running(release))
    result = host.wait(settle=3)
    assert not result["failed"] and result["settled"]["MainPID"] == main_pid(release)


def test_a_failed_unit_fails_at_once_with_its_state():
    # TYPED, not captured: no capture has a unit in ActiveState=failed with the properties service_wait
    # reads (tests/unit/data/systemd/show.us-badexec.txt is failed, but holds four other properties only).
    typed = "MainPID=0\nResult=exit-code\nNRestarts=3\nExecMainStartTimestamp=\n"
    typed += "LoadState=loaded\nActiveState=failed\nSubState=failed\n"
    host = Host(typed)
    result = host.wait(timeout=60)
    assert result["failed"] and host.slept == []
    assert result["msg"] == (
        "demo.service is not active after it failed: ActiveState=failed, SubState=failed, Result=exit-code, "
        "NRestarts=3; see journalctl -u demo.service"
    )


def test_a_unit_that_fails_while_it_is_probed_ends_the_wait_at_once(server):
    """A crash loop uses up its restarts while the health URL is retried: no waiting out the deadline."""
    base = server(healthz=[503])
    # TYPED failed state, as in test_a_failed_unit_fails_at_once_with_its_state.
    typed = "MainPID=0\nResult=exit-code\nNRestarts=4\nExecMainStartTimestamp=\n"
    typed += "LoadState=loaded\nActiveState=failed\nSubState=failed\n"
    host = Host(running("debian12"), typed)
    result = host.wait(timeout=60, health=sw.probe_config("health_url", base + "/healthz", 60, 1))
    assert result["failed"] and host.reads == 2 and host.now < 5
    assert result["msg"] == (
        f"demo.service failed while its liveness was probed ({base}/healthz): ActiveState=failed, SubState=failed,"
        " Result=exit-code, NRestarts=4; see journalctl -u demo.service"
    )
    assert result["state"]["ActiveState"] == "failed"


def test_not_ready_fails_with_the_health_check_message(server):
    base = server(healthz=[200], readyz=[503])
    result = Host(running("debian12")).wait(
        timeout=3,
        health=sw.probe_config("health_url", base + "/healthz", 3, 1),
        readiness=sw.probe_config("ready_url", base + "/readyz", 3, 2),
    )
    assert result["failed"] and result["liveness"]["stop_reason"] == "success"
    assert result["msg"].startswith(f"health check of {base}/readyz failed: ")
    assert "got 503" in result["msg"]


def test_an_unhealthy_service_is_not_asked_whether_it_is_ready(server):
    base = server(healthz=[500], readyz=[200])
    result = Host(running("debian11")).wait(
        timeout=2,
        health=sw.probe_config("health_url", base + "/healthz", 2, 1),
        readiness=sw.probe_config("ready_url", base + "/readyz", 2, 2),
    )
    assert result["failed"] and result["readiness"] is None
    assert result["msg"].startswith(f"health check of {base}/healthz failed: ")


def test_a_bad_url_is_named():
    with pytest.raises(sw.WaitInputError, match="ready_url 'ftp://x'"):
        sw.probe_config("ready_url", "ftp://x", 10, 2)
