# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the service_probe module through AnsibleModule (run_module).

run_command answers from what systemctl, systemd-analyze and journalctl printed for demo.service
on Debian 12 (tests/unit/data/service_probe/debian12); /proc/<pid>/status comes from the same
capture; the release layout, the passwd entry (the user running the tests) and the HTTP probes
are real.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ansible.module_utils import basic

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_probe
from ansible_collections.gosvc.hardening.plugins.modules import service_probe

DATA = Path(__file__).resolve().parents[2] / "data" / "service_probe" / "debian12"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
BINS = {name: f"/usr/bin/{name}" for name in ("systemctl", "systemd-analyze", "journalctl")}


def record_text(digest):
    """.releases.json as go_release writes it, for release 1.0.0 of binary demo."""
    return json.dumps({"format": 1, "releases": [{"version": "1.0.0", "sha256": digest, "binary_name": "demo"}]})


@pytest.fixture
def host(monkeypatch, tmp_path):
    """Captured commands and /proc files, a real release layout; returns the module arguments."""
    by_argv = {}
    for entry in MANIFEST["captures"]:  # the running unit, not the later read of the stopped one
        by_argv.setdefault(tuple(entry["argv"]), entry)
    calls = []

    def run_command(self, args, environ_update=None, **kwargs):
        assert isinstance(args, list) and not kwargs.get("use_unsafe_shell")
        key = (os.path.basename(args[0]), *args[1:])
        entry = by_argv[key]
        assert environ_update == entry["env"]
        calls.append(entry["name"])
        out = (DATA / entry["stdout_file"]).read_text() if "stdout_file" in entry else ""
        return entry["rc"], out, entry["stderr"]

    files = {path: (DATA / name).read_text() for path, name in MANIFEST["files"].items()}
    real_read = _service_probe.System.read_text
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(
        basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: BINS[name]
    )
    monkeypatch.setattr(_service_probe.System, "read_text", lambda self, path: files.get(path) or real_read(self, path))

    release = tmp_path / "releases" / "1.0.0"
    release.mkdir(parents=True)
    (release / "demo").write_bytes(b"demo 1.0.0\n")
    os.symlink("releases/1.0.0", tmp_path / "current")
    digest = hashlib.sha256(b"demo 1.0.0\n").hexdigest()
    (tmp_path / ".releases.json").write_text(record_text(digest))
    return {
        "args": {
            "unit": "demo.service",
            "binary_path": str(tmp_path / "current" / "demo"),
            "soak_seconds": 0,
            # The test's HTTP server runs in this process, not in demo.service.
            "check_owner": False,
        },
        "digest": digest,
        "calls": calls,
    }


@pytest.fixture
def health_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path in ("/healthz", "/readyz") else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_one_call_returns_every_reading(run_module, host, health_server):
    args = dict(
        host["args"],
        user=getpass.getuser(),
        max_exposure=1.5,
        health_url=health_server + "/healthz",
        ready_url=health_server + "/readyz",
        forbidden_urls=[health_server + "/debug/pprof/"],
        log_required_fields=["time", "level"],
    )
    result = run_module(service_probe, args)
    assert result["changed"] is False
    assert not result.get("failed")
    assert result["unit_before"]["ActiveState"] == result["unit_after"]["ActiveState"] == "active"
    assert result["proc_status"].startswith("Name:\tdemo\n")
    assert result["user_entry"][1] == str(os.getuid())
    assert result["version"] == "1.0.0"
    assert result["current"]["lnk_target"] == "releases/1.0.0"
    assert result["expected_checksum"] == "sha256:" + host["digest"]
    assert result["checksum"]["digest"] == host["digest"]
    assert result["binary_digests"] == {}  # none asked for
    assert result["go_build"]["skipped"] is True
    assert result["exposure"]["level"] == "OK"
    assert result["liveness"]["status"] == result["readiness"]["status"] == 200
    assert [f["status"] for f in result["forbidden"]] == [404]
    assert result["journal"]["stdout_lines"][0].startswith('{"time":')
    assert host["calls"][0] == host["calls"][-1] == "unit.running.txt"
    assert result["environment"] == {}  # no variable asked for, none read
    assert result["go_version"] is None  # the release holds a text file, not a Go binary


def test_binary_digests_for_the_signature_check(run_module, host):
    result = run_module(service_probe, dict(host["args"], digest_algorithms=["sha512", "sha256"]))
    assert not result.get("failed")
    assert result["binary_digests"]["sha256"] == host["digest"]
    data = Path(result["checksum"]["path"]).read_bytes()
    assert result["binary_digests"]["sha512"] == hashlib.sha512(data).hexdigest()


def test_check_mode_reads_the_same(run_module, host):
    normal = run_module(service_probe, host["args"])
    checked = run_module(service_probe, host["args"], check_mode=True)
    for key in ("unit_before", "checksum", "exposure", "version"):
        assert checked[key] == normal[key]


def test_failed_checks_do_not_fail_the_task(run_module, host):
    result = run_module(
        service_probe,
        dict(
            host["args"],
            checksum="sha256:" + "0" * 64,
            max_exposure=0.5,
            health_url="http://127.0.0.1:9/",
            health_timeout=0.5,
            go_build={"require_trimpath": True},
        ),
    )
    assert not result.get("failed")
    assert result["checksum_source"] == "checksum"
    for key in ("checksum", "exposure", "liveness", "go_build"):
        assert result[key]["failed"] is True, key
        assert result[key]["msg"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"unit": "demo"}, "Invalid option: unit is 'demo'"),
        ({"checksum": "sha256:abc"}, "Invalid option: checksum: "),
        ({"forbidden_urls": [{"path": "/x"}]}, r"Invalid option: forbidden_urls\[0\]: expected a URL or a mapping"),
        ({"go_build": {"require_pie": True}}, "Unsupported parameters"),
    ],
    ids=["unit", "checksum", "forbidden_urls", "go_build-key"],
)
def test_bad_options_fail_the_task(run_module, host, overrides, message):
    result = run_module(service_probe, dict(host["args"], **overrides))
    assert result["failed"] is True
    assert re.search(message, result["msg"]), result["msg"]


def test_no_systemctl_fails_the_task(run_module, host, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    result = run_module(service_probe, host["args"])
    assert result["failed"] is True
    assert result["msg"] == (
        "Probing demo.service: systemctl not found on the host: service_probe verifies systemd services"
    )


@pytest.fixture
def deep_json_server():
    """Answers /healthz with 60000 "[" (under max_body_bytes; Python's json raises RecursionError on it)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(dict(self.headers))
            body = b"[" * 60000 if self.path == "/healthz" else b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_a_deeply_nested_health_body_reports_the_service_unhealthy(run_module, host, deep_json_server):
    base, _seen = deep_json_server
    args = dict(host["args"], health_url=base + "/healthz", health_timeout=1, probe_options={})
    result = run_module(service_probe, args)
    assert not result.get("failed"), result.get("msg")  # a failed probe is a result, not a failed task
    liveness = result["liveness"]
    assert liveness["failed"] is True and liveness["json"] is None
    assert "response body is not JSON the probe can read (nested too deeply" in liveness["msg"]
    assert result["readiness"]["skipped"] is True  # liveness failed


SECRET = "Bearer probe-secret-3b9d"


def test_probe_header_values_are_not_in_the_result(run_module, host, deep_json_server):
    base, seen = deep_json_server
    args = dict(
        host["args"],
        ready_url=base + "/readyz",
        ready_success_threshold=1,
        probe_options={"headers": {"Authorization": SECRET, "Host": "demo.internal"}},
    )
    result = run_module(service_probe, args)
    assert not result.get("failed"), result.get("msg")
    assert result["readiness"]["failed"] is False
    assert seen and seen[-1]["Authorization"] == SECRET  # it was sent
    assert SECRET not in json.dumps(result) and "probe-secret" not in json.dumps(result)
    headers = result["invocation"]["module_args"]["probe_options"]["headers"]
    assert headers == {"Authorization": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "Host": "demo.internal"}


def test_probe_header_values_are_not_in_a_failed_task(run_module, host):
    result = run_module(
        service_probe, dict(host["args"], unit="demo", probe_options={"headers": {"Authorization": SECRET}})
    )
    assert result["failed"] is True and "unit is 'demo'" in result["msg"]
    assert "probe-secret" not in json.dumps(result)


@pytest.mark.parametrize("option", ["health_url", "ready_url", "forbidden_urls"])
def test_credentials_in_a_probe_url_are_refused_and_not_in_the_result(run_module, host, option):
    url = "http://probe:sp-pa55-77c1@127.0.0.1:1/healthz"
    result = run_module(service_probe, dict(host["args"], **{option: [url] if option == "forbidden_urls" else url}))
    assert result["failed"] is True
    assert "credentials in the URL are not supported" in result["msg"]
    assert "sp-pa55-77c1" not in json.dumps(result)
