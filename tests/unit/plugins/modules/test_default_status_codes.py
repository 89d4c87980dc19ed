# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""With no status_codes given, a 5xx answer fails a probe and a 2xx passes it, everywhere a probe runs.

A real HTTP server on 127.0.0.1 answers each request with the status its path names. The probes
are the real code: the health_check module through AnsibleModule, _http's build_config and
run_health_check, service_wait's probe configs inside wait_for_service (its unit read answers from
the captured ``systemctl show`` of the running demo.service on Debian 12), and the health
watchdog's own probe (roles/go_service/files/health_probe.py). service_probe is covered in
test_service_probe_fail_closed.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from support import status_code_server

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_wait as sw
from ansible_collections.gosvc.hardening.plugins.module_utils._http import build_config, run_health_check
from ansible_collections.gosvc.hardening.plugins.modules import health_check

ROOT = Path(__file__).resolve().parents[4]
FAILING = [500, 503]
PASSING = [200, 204]
CAPTURE = ROOT / "tests" / "unit" / "data" / "service_probe" / "debian12"


@pytest.fixture(autouse=True)
def direct(monkeypatch):
    """Keep proxy settings of the environment away from requests to 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def base():
    """The base URL of a server on 127.0.0.1 whose path .../<code> answers <code> (support.status_code_server)."""
    with status_code_server() as url:
        yield url


# --- the health_check module ----------------------------------------------------------------------


@pytest.mark.parametrize("code", FAILING)
def test_health_check_fails_on_a_5xx(run_module, base, code):
    result = run_module(health_check, {"url": f"{base}/{code}"})
    assert result["failed"] is True
    assert result["status"] == code
    assert result["failures"] == [f"status: expected 200-399, got {code}"]


@pytest.mark.parametrize("code", PASSING)
def test_health_check_passes_on_a_2xx(run_module, base, code):
    result = run_module(health_check, {"url": f"{base}/{code}"})
    assert result.get("failed") is not True, result.get("msg")
    assert (result["status"], result["stop_reason"]) == (code, "success")


# --- _http ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", FAILING + PASSING)
def test_build_config_and_run_health_check_decide_on_the_status(base, code):
    result = run_health_check(build_config({"url": f"{base}/{code}"}))
    assert result["status"] == code
    assert (result["stop_reason"] == "success") is (code in PASSING)
    assert [attempt["ok"] for attempt in result["attempts"]] == [code in PASSING]


@pytest.mark.parametrize("code", FAILING)
def test_retries_do_not_turn_a_5xx_into_a_success(base, code):
    config = build_config({"url": f"{base}/{code}", "retries": 2, "delay": 0.01})
    result = run_health_check(config)
    assert result["stop_reason"] != "success"
    assert [attempt["status"] for attempt in result["attempts"]] == [code, code, code]


# --- service_wait -----------------------------------------------------------------------------------


def captured_show(argv):
    """``systemctl show`` of the running demo.service as captured on Debian 12 (see test_service_wait.py)."""
    assert argv[1:3] == ["show", "-p"] and argv[-1] == "demo.service"
    return 0, (CAPTURE / "unit.running.txt").read_text(), ""


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize("option", ["health_url", "ready_url"])
@pytest.mark.parametrize("code", FAILING + PASSING)
def test_service_wait_fails_on_a_5xx_and_passes_on_a_2xx(base, option, code):
    probes = {"health": None, "readiness": None}
    key = "health" if option == "health_url" else "readiness"
    probes[key] = sw.probe_config(option, f"{base}/{code}", 2, 1)
    clock = Clock()
    result = sw.wait_for_service(
        captured_show, "/bin/systemctl", "demo.service", 2, clock=clock, sleep=clock.sleep, check_owner=False, **probes
    )
    probed = result["liveness" if key == "health" else "readiness"]
    assert probed["status"] == code
    if code in PASSING:
        assert not result["failed"], result.get("msg")
    else:
        assert result["failed"] is True
        assert f"got {code}" in result["msg"]


# --- the health watchdog's probe ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def watchdog_probe():
    path = ROOT / "roles" / "go_service" / "files" / "health_probe.py"
    spec = importlib.util.spec_from_file_location("gosvc_health_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.probe


@pytest.mark.parametrize("code", FAILING + PASSING)
def test_the_health_watchdog_counts_a_5xx_as_a_failure(base, watchdog_probe, code):
    error = watchdog_probe(f"{base}/{code}", 2.0)
    assert error == ("" if code in PASSING else f"HTTP {code}")
