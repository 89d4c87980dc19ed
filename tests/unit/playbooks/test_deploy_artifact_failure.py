# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gosvc.hardening.deploy when the artifact fails on the controller: the fleet summary still comes, the run fails.

A real ansible-playbook run of the playbook against three inventory hosts that are the controller itself
(ansible_connection local). The artifact is a local file (go_service_binary_src) with a wrong
go_service_checksum, so the first play fails on the controller before any host is touched; every path the
run could read or write (cache, base and configuration directories, reports) is under pytest's tmp_path.
Without the rescue around the artifact phase the run ended there: a failed run_once task fails every host,
and a failed host takes part in no later play, the fleet summary's included.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support import playbook_env, run, write_local_fleet

PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
WRONG = "sha256:" + "0" * 64

pytestmark = pytest.mark.skipif(not PLAYBOOK.exists(), reason=f"{PLAYBOOK} is not installed")


def _deploy(tmp_path, *extra):
    binary = tmp_path / "myapp"
    binary.write_bytes(Path("/bin/true").read_bytes() if Path("/bin/true").exists() else b"\x7fELF not a release")
    inventory = write_local_fleet(
        tmp_path,
        go_service_name="gosvc-artifact-failure",
        go_service_version="1.0.0",
        go_service_binary_src=str(binary),
        go_service_checksum=WRONG,
    )
    env = playbook_env(tmp_path)
    return run(
        [str(PLAYBOOK), "-i", str(inventory), "gosvc.hardening.deploy", *extra],
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_a_wrong_checksum_still_prints_the_fleet_summary_and_fails_the_run(tmp_path, check):
    done = _deploy(tmp_path, *(["--check"] if check else []))
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "PLAY [Fleet summary]" in out, out
    summary = json.loads((tmp_path / "reports" / "fleet-summary.json").read_text())
    rollout = {row["host"]: row.get("rollout") for row in summary["hosts"]}
    assert set(rollout) == {"canary", "web2", "web3"}
    canary = rollout["canary"]
    assert (canary["status"], canary["from"], canary["to"], canary["changed"]) == ("unchanged", "?", "1.0.0", False)
    assert canary["reason"].startswith("go_service: the artifact failed on the controller, no host was changed: ")
    assert "does not match the expected digest" in canary["reason"]
    assert f"{tmp_path / 'myapp'} was not used and is left where it is" in canary["reason"]
    for host in ("web2", "web3"):
        assert rollout[host] == {
            "status": "not reached",
            "from": "",
            "to": "",
            "reason": "",
            "changed": False,
            "files": [],
            "replaced": [],
            "drain_seconds": None,
        }
    table = [line for line in out.splitlines() if line.strip().startswith('"') and "  " in line]
    assert any(
        "canary" in line and line.rstrip('",').endswith("1.0.0 failed before changing the host") for line in table
    )
    assert sum(line.rstrip('",').endswith("  not reached") for line in table) == 2
    assert "Rollout stopped before the first batch: the artifact failed on the controller" in out
    # Only the canary fails the run; the others were not reached, not failed.
    assert "fatal: [canary]: FAILED!" in out
    after_recap = out[out.rindex("PLAY RECAP") :].splitlines()[1:]
    recap = {line.split()[0]: line for line in after_recap if ": ok=" in line}
    assert set(recap) == {"canary", "web2", "web3"}
    assert " failed=0 " in recap["web2"] and " failed=0 " in recap["web3"]
    # No batch ran: nothing was installed.
    assert not (tmp_path / "opt").exists()
    assert not (tmp_path / "etc").exists()
