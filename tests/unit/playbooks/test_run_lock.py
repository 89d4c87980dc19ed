# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gosvc.hardening.run_lock through real ansible-playbook runs (connection local, leases under tmp_path).

Each run is one ansible-playbook process: its tasks share the run id the action plugin reads from the worker's
parent, and another process is another run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from support import playbook_env, run

PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.skipif(not PLAYBOOK.exists(), reason=f"{PLAYBOOK} is not installed")


def _stop_file(tmp_path, name):
    """The file whose creation ends a holder's hold early (_kill)."""
    return tmp_path / f"{name}.stop"


def _playbook(tmp_path, name, *, wait=0, ttl=3600, hold=0.0, release=False, twice=False):
    """A playbook that takes the lease on `demo` (twice: to see it renewed), holds it `hold` seconds or until
    <name>.stop exists (_kill), gives it back when `release`, and writes every result to <name>.json."""
    lock = {"name": "demo", "dir": str(tmp_path / "leases"), "wait": wait, "ttl": ttl}
    tasks = [{"name": "Take the lease", "gosvc.hardening.run_lock": lock, "register": "first"}]
    if twice:
        tasks.append({"name": "Take it again", "gosvc.hardening.run_lock": lock, "register": "second"})
    if hold:
        stop = {"path": str(_stop_file(tmp_path, name)), "timeout": hold}
        tasks.append({"name": "Hold it", "ansible.builtin.wait_for": stop, "failed_when": False})
    if release:
        tasks.append(
            {
                "name": "Give it back",
                "gosvc.hardening.run_lock": dict(lock, state="released"),
                "register": "released",
            }
        )
    tasks.append(
        {
            "name": "Write the results",
            "ansible.builtin.copy": {
                "dest": str(tmp_path / f"{name}.json"),
                "content": "{{ {'first': first, 'second': second | default(none), 'released': released | default(none)}"
                " | to_json }}",
                "mode": "0644",
            },
        }
    )
    play = [{"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def _cmd(path):
    return [str(PLAYBOOK), "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
            str(path)]  # fmt: skip


def _results(tmp_path, name):
    return json.loads((tmp_path / f"{name}.json").read_text())


def _start_holder(tmp_path, env, name, hold, **kw):
    """An ansible-playbook run that takes the lease and holds it `hold` seconds, once its lease file is there."""
    proc = subprocess.Popen(
        _cmd(_playbook(tmp_path, name, hold=hold, **kw)), env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lease = tmp_path / "leases" / "demo.lease"
    deadline = time.time() + 60
    while not lease.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert lease.exists(), proc.communicate()[0]
    return proc, json.loads(lease.read_text())


def _kill(proc, tmp_path, name):
    """SIGKILL a holder's ansible-playbook process, then end its hold: the worker that runs the hold is in a
    session of its own and outlives the kill; it finishes its task at once and exits, not `hold` seconds later."""
    proc.kill()
    proc.communicate()
    _stop_file(tmp_path, name).touch()


def test_a_run_takes_and_extends_its_own_lease_and_a_second_run_is_refused_naming_it(tmp_path):
    env = playbook_env(tmp_path)
    first = run(_cmd(_playbook(tmp_path, "first", twice=True, release=True)), env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    taken = _results(tmp_path, "first")
    assert taken["first"]["status"] == "acquired" and taken["second"]["status"] == "renewed"
    assert taken["released"]["status"] == "released" and taken["first"]["changed"] is False
    holder = taken["first"]["lease"]["holder"]
    assert holder["pid"] != os.getpid() and str(holder["pid"]) in taken["first"]["lease"]["run_id"]

    holding, lease = _start_holder(tmp_path, env, "holding", hold=30)
    try:
        second = run(_cmd(_playbook(tmp_path, "second")), env=env, cwd=tmp_path)
    finally:
        _kill(holding, tmp_path, "holding")
    out = second.stdout + second.stderr
    assert second.returncode == 2, out
    assert f"run_lock: demo: another run is deploying this service: run {lease['run_id']}" in out
    assert f"(ansible-playbook PID {lease['holder']['pid']})" in out
    assert json.loads((tmp_path / "leases" / "demo.lease").read_text())["run_id"] == lease["run_id"]


@pytest.mark.fault(
    case="2",
    name="two ansible-playbook runs at once (run_lock)",
    injected="run A takes the lease on demo, holds it 10 s and gives it back; run B starts meanwhile with wait 30",
    expected="B waits until A gives it back, then takes it: never both at once",
)
def test_a_second_run_waits_for_the_first_to_give_the_lease_back(tmp_path, record_property):
    env = playbook_env(tmp_path)
    # A holds the lease long enough that B, an ansible-playbook of its own, has started and waits even on a
    # loaded machine (compat runs this beside Molecule on a small CPU share, where 3 s was not enough).
    first, _lease = _start_holder(tmp_path, env, "holder", hold=10, release=True)
    lease = tmp_path / "leases" / "demo.lease"
    second = run(_cmd(_playbook(tmp_path, "waiter", wait=30, release=True)), env=env, cwd=tmp_path)
    out_first = first.communicate(timeout=60)[0]
    assert first.returncode == 0 and second.returncode == 0, out_first + second.stdout + second.stderr
    held, waited = _results(tmp_path, "holder"), _results(tmp_path, "waiter")
    assert held["released"]["status"] == "released"
    assert waited["first"]["status"] == "acquired" and waited["first"]["waited"] >= 1.0
    # B's lease began after A's ended: the two never held it at once.
    assert waited["first"]["lease"]["acquired_at"] >= held["first"]["lease"]["acquired_at"] + 10
    assert not lease.exists()
    record_property("observed", "B waited for A's lease, then acquired it after A released it")


def _foreign_lease(tmp_path, expires_in):
    """A lease another controller's run wrote, expiring `expires_in` seconds from now."""
    now = time.time()
    lease = {
        "run_id": "elsewhere:4242:99",
        "holder": {"controller": "elsewhere", "user": "ops", "pid": 4242},
        "acquired_at": now - 60,
        "renewed_at": now - 60,
        "expires_at": now + expires_in,
    }
    (tmp_path / "leases").mkdir(exist_ok=True)
    (tmp_path / "leases" / "demo.lease").write_text(json.dumps(lease))
    return lease


def test_another_controllers_lease_holds_until_it_expires_then_is_taken_over(tmp_path):
    env = playbook_env(tmp_path)
    _foreign_lease(tmp_path, expires_in=600)
    refused = run(_cmd(_playbook(tmp_path, "refused")), env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "run elsewhere:4242:99 of ops on elsewhere" in refused.stdout
    _foreign_lease(tmp_path, expires_in=-1)
    after = run(_cmd(_playbook(tmp_path, "next")), env=env, cwd=tmp_path)
    out = after.stdout + after.stderr
    assert after.returncode == 0, out
    got = _results(tmp_path, "next")["first"]
    assert got["status"] == "took_over" and got["previous"]["run_id"] == "elsewhere:4242:99"
    assert "took over the lease of run elsewhere:4242:99" in out


@pytest.mark.fault(
    case="2",
    name="a run killed while it holds the lease (run_lock)",
    injected="run A takes the lease on demo (ttl 1800 s) and is SIGKILLed; run B starts right after",
    expected="B takes A's lease over at once (A's process is gone), warning that A never gave it back",
)
def test_the_lease_of_a_killed_run_is_taken_over_at_once(tmp_path, record_property):
    env = playbook_env(tmp_path)
    killed, lease = _start_holder(tmp_path, env, "killed", hold=60)
    _kill(killed, tmp_path, "killed")
    after = run(_cmd(_playbook(tmp_path, "next", release=True)), env=env, cwd=tmp_path)
    out = after.stdout + after.stderr
    assert after.returncode == 0, out
    got = _results(tmp_path, "next")
    assert got["first"]["status"] == "took_over" and got["first"]["previous"]["run_id"] == lease["run_id"]
    assert got["first"]["previous"]["expires_at"] > time.time() + 1000, "A's lease had not expired"
    assert f"took over the lease of run {lease['run_id']}" in out
    assert got["released"]["status"] == "released"
    record_property(
        "observed", "B took over the killed run's unexpired lease at once, warning that A never gave it back"
    )
