# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gosvc.hardening.deploy in phases: a slice of the rest without a passed canary of its release stops
before it reaches a host.

Real ansible-playbook runs of the playbook against three inventory hosts that are the controller itself
(ansible_connection local), with a real artifact (a local file and its right checksum), so that the first
play resolves it and only the phase rule can stop the run. Every path a run could write (cache, base and
configuration directories, reports) is under pytest's tmp_path: that neither of the hosts' directories exists
afterwards, no report was written, and no batch started, is what "before it reaches a host" means here.
The canary phase itself, and slices that pass, need systemd: molecule/slices proves them on 12 hosts.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from support import playbook_env, run, write_local_fleet

PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.skipif(not PLAYBOOK.exists(), reason=f"{PLAYBOOK} is not installed")


def _inventory(tmp_path):
    """The fleet's inventory file, and the digest of the release it deploys."""
    binary = tmp_path / "myapp"
    binary.write_bytes(b"\x7fELF not really a release, only an artifact with a known digest\n")
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    inventory = write_local_fleet(
        tmp_path,
        go_service_name="gosvc-phases",
        go_service_version="2.0.0",
        go_service_binary_src=str(binary),
        go_service_checksum=f"sha256:{digest}",
    )
    return inventory, digest


def _record(digest, **changes):
    record = {
        "service": "gosvc-phases",
        "state": "present",
        "version": "2.0.0",
        "sha256": digest,
        "status": "passed",
        "hosts": ["canary"],
        "reason": "",
        "finished": "2026-12-06T18:00:00Z",
    }
    return {"gosvc_canary": {**record, **changes}}


def _deploy(inventory, *extra):
    return run(
        [str(PLAYBOOK), "-i", str(inventory), "gosvc.hardening.deploy", *extra],
        env=playbook_env(inventory.parent),
        cwd=inventory.parent,
    )


CASES = {
    "no record": (None, "deploy: gosvc_phase=rest needs the record of a canary that passed with this release"),
    "failed canary": (
        {"status": "failed", "reason": "canary: rolled back - readyz never passed"},
        "deploy: the canary of gosvc-phases 2.0.0 on canary did not pass (failed: canary: rolled back - readyz never"
        " passed): no slice may deploy it.",
    ),
    "another version": (
        {"version": "1.9.0"},
        "deploy: the canary record is for another release than this run's (version 1.9.0 in the record, 2.0.0 in"
        " this run)",
    ),
    "another binary": (
        {"sha256": "b" * 64},
        "deploy: the canary record is for another release than this run's (sha256",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_slice_of_the_rest_without_a_passed_canary_of_its_release_reaches_no_host(tmp_path, case):
    inventory, digest = _inventory(tmp_path)
    changes, message = CASES[case]
    extra = ["-e", "gosvc_phase=rest"]
    if changes is not None:
        (tmp_path / "canary.json").write_text(json.dumps(_record(digest, **changes)))
        extra += ["-e", f"@{tmp_path / 'canary.json'}"]
    done = _deploy(inventory, *extra)
    out = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, out
    assert message in out, out
    assert "Nothing on the hosts was changed." in out, out
    # Stopped in the first play: no batch, no summary, nothing on any host's paths.
    assert "TASK [Note the hosts of this batch]" not in out, out
    assert "PLAY [Fleet summary]" not in out, out
    for path in ("opt", "etc"):
        assert not (tmp_path / path).exists(), path
    assert not list((tmp_path / "reports").glob("*")), "a report was written"


def test_a_passed_canary_of_this_release_lets_the_slice_start(tmp_path):
    """The control: the same run with a passed record of this release goes past the phase rule, into the
    batches (where go_service stops it: this controller is no systemd host, which it refuses by name)."""
    inventory, digest = _inventory(tmp_path)
    (tmp_path / "canary.json").write_text(json.dumps(_record(digest)))
    done = _deploy(inventory, "-e", "gosvc_phase=rest", "-e", f"@{tmp_path / 'canary.json'}")
    out = " ".join((done.stdout + done.stderr).split())
    refusal = out.split("TASK [Refuse a slice of the rest")[1].split("TASK [")[0]
    assert "skipping: [canary]" in refusal and "FAILED" not in refusal, out
    assert "TASK [Note the hosts of this batch]" in out, out
    assert "Slice of the rest, after the canary that passed on canary (2026-12-06T18:00:00Z)." in out, out


def test_an_unknown_phase_is_refused_before_any_host(tmp_path):
    inventory, _digest = _inventory(tmp_path)
    done = _deploy(inventory, "-e", "gosvc_phase=slice")
    out = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, out
    assert "deploy: gosvc_phase is 'slice'; set it to one of all, canary, rest" in out, out
    assert "TASK [Note the hosts of this batch]" not in out, out
