# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_probe fails a check whenever it should: a limit of 0.0, a digest one hex digit off, a 5xx.

The module runs through the real AnsibleModule. run_command answers from what systemctl,
systemd-analyze and journalctl printed for demo.service on Debian 11 (systemd 247) and 12 (252)
(tests/unit/data/service_probe/, see its README; demo.service measured 1.4 OK on both), with
the environment the module must pass; /proc files come from the same captures. The release
layout, the digests (coreutils' sha256sum) and the HTTP server on 127.0.0.1 are real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible.module_utils import basic
from support import status_code_server

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_probe
from ansible_collections.gosvc.hardening.plugins.modules import service_probe

DATA = Path(__file__).resolve().parents[2] / "data" / "service_probe"
RELEASES = ("debian11", "debian12")
BINS = {name: f"/usr/bin/{name}" for name in ("systemctl", "systemd-analyze", "journalctl")}

pytestmark = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is required")


def record_text(digest):
    """.releases.json as go_release writes it, for release 1.0.0 of binary demo."""
    return json.dumps({"format": 1, "releases": [{"version": "1.0.0", "sha256": digest, "binary_name": "demo"}]})


def sha256sum(path):
    return subprocess.run(["sha256sum", "--", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]


def near_miss(digest, place):
    """``digest`` with one hex digit changed (to the next hex digit): the last one or one in the middle."""
    index = len(digest) - 1 if place == "last" else len(digest) // 2
    changed = "0123456789abcdef"[(int(digest[index], 16) + 1) % 16]
    return digest[:index] + changed + digest[index + 1 :]


@pytest.fixture(params=RELEASES)
def host(request, monkeypatch, tmp_path):
    """One release's captured host and a real release layout; returns the module arguments and the digest."""
    release = request.param
    manifest = json.loads((DATA / release / "manifest.json").read_text())
    by_argv = {}
    for entry in manifest["captures"]:  # the running unit (captured first), not the later stopped one
        by_argv.setdefault(tuple(entry["argv"]), entry)

    def run_command(self, args, environ_update=None, **kwargs):
        assert isinstance(args, list) and not kwargs.get("use_unsafe_shell")
        entry = by_argv.get((os.path.basename(args[0]), *args[1:]))
        assert entry is not None, f"not captured on {release}: {args}"
        assert environ_update == entry["env"], (args, environ_update)
        out = (DATA / release / entry["stdout_file"]).read_text() if "stdout_file" in entry else ""
        return entry["rc"], out, entry["stderr"]

    files = {path: (DATA / release / name).read_text() for path, name in manifest["files"].items()}
    real_read = _service_probe.System.read_text
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(
        basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: BINS[name]
    )
    monkeypatch.setattr(_service_probe.System, "read_text", lambda self, path: files.get(path) or real_read(self, path))

    binary = tmp_path / "releases" / "1.0.0" / "demo"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(os.urandom(20_000))
    os.symlink("releases/1.0.0", tmp_path / "current")
    digest = sha256sum(binary)
    record = tmp_path / ".releases.json"
    record.write_text(record_text(digest))
    return {
        "args": {
            "unit": "demo.service",
            "binary_path": str(tmp_path / "current" / "demo"),
            "soak_seconds": 0,
            # The test's HTTP server runs in this process, not in demo.service.
            "check_owner": False,
        },
        "digest": digest,
        "record": record,
        "release": release,
    }


def probe(run_module, host, **options):
    result = run_module(service_probe, dict(host["args"], **options))
    assert not result.get("failed"), result.get("msg")  # a failed check is a result, not a failed task
    return result


# --- max_exposure -------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0.0, 0])
def test_a_limit_of_zero_fails_the_exposure_check(run_module, host, limit):
    exposure = probe(run_module, host, max_exposure=limit)["exposure"]
    assert exposure["exposure"] == 1.4
    assert exposure["failed"] is True
    assert "exposure 1.4 (OK) for demo.service exceeds max_exposure 0.0" in exposure["msg"]


@pytest.mark.parametrize(("limit", "failed"), [(1.3, True), (1.4, False), (None, False)])
def test_the_exposure_limit_around_the_measured_value(run_module, host, limit, failed):
    options = {} if limit is None else {"max_exposure": limit}
    exposure = probe(run_module, host, **options)["exposure"]
    assert exposure["exposure"] == 1.4
    assert bool(exposure.get("failed")) is failed


# --- digests one hex digit off ------------------------------------------------------------------


@pytest.mark.parametrize("place", ["last", "middle"])
def test_a_pinned_checksum_one_digit_off_fails_the_checksum_check(run_module, host, place):
    assert probe(run_module, host, checksum=f"sha256:{host['digest']}")["checksum"]["failed"] is False
    wrong = near_miss(host["digest"], place)
    checksum = probe(run_module, host, checksum=f"sha256:{wrong}")["checksum"]
    assert checksum["failed"] is True
    assert (checksum["expected"], checksum["digest"]) == (wrong, host["digest"])


@pytest.mark.parametrize("place", ["last", "middle"])
def test_a_recorded_digest_one_digit_off_fails_the_checksum_check(run_module, host, place):
    result = probe(run_module, host, release_record=str(host["record"]))
    assert result["checksum"]["failed"] is False and result["checksum_source"].startswith(str(host["record"]))
    recorded = near_miss(host["digest"], place)
    host["record"].write_text(record_text(recorded))
    result = probe(run_module, host, release_record=str(host["record"]))
    assert result["expected_checksum"] == f"sha256:{recorded}"
    assert result["checksum"]["failed"] is True


# --- the default status codes -------------------------------------------------------------------


@pytest.fixture
def answering():
    """The base URL of a server on 127.0.0.1 whose path .../<code> answers <code> (support.status_code_server)."""
    with status_code_server() as url:
        yield url


# A 5xx is retried until health_timeout runs out, so the budget is also each test's length. 2 s leaves
# room for the first answer when the suite runs at low CPU priority beside Molecule (0.5 s did not).
FIVE_XX_BUDGET = 2.0


@pytest.mark.parametrize("code", [500, 503])
def test_a_5xx_fails_liveness_under_the_default_status_codes(run_module, host, answering, code):
    result = probe(run_module, host, health_url=f"{answering}/status/{code}", health_timeout=FIVE_XX_BUDGET)
    assert result["liveness"]["failed"] is True
    assert result["liveness"]["status"] == code
    assert f"got {code}" in result["liveness"]["msg"]


@pytest.mark.parametrize("code", [500, 503])
def test_a_5xx_fails_readiness_under_the_default_status_codes(run_module, host, answering, code):
    result = probe(
        run_module,
        host,
        health_url=f"{answering}/status/200",
        ready_url=f"{answering}/status/{code}",
        health_timeout=FIVE_XX_BUDGET,
        ready_success_threshold=1,
    )
    assert result["liveness"]["failed"] is False
    assert result["readiness"]["failed"] is True and result["readiness"]["status"] == code


@pytest.mark.parametrize("code", [200, 204])
def test_a_2xx_passes_liveness_and_readiness_under_the_default_status_codes(run_module, host, answering, code):
    url = f"{answering}/status/{code}"
    result = probe(run_module, host, health_url=url, ready_url=url, ready_success_threshold=1)
    assert result["liveness"]["failed"] is False and result["liveness"]["status"] == code
    assert result["readiness"]["failed"] is False and result["readiness"]["status"] == code
