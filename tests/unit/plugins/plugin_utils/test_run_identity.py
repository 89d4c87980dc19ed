# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_run_identity: a run's id from its ansible-playbook process, whether that run has ended, and the retry that
takes over the lease of an ended run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from ansible_collections.gosvc.hardening.plugins.plugin_utils import _run_identity


def test_a_run_is_named_by_its_controller_process_and_its_start():
    run_id, holder = _run_identity.run_identity(pid=os.getpid())
    host, pid, start = run_id.split(":")
    assert host == socket.gethostname() == holder["controller"] and int(pid) == os.getpid() == holder["pid"]
    assert start.isdigit()
    assert _run_identity.run_identity()[1]["pid"] == os.getppid()


def test_a_run_has_ended_when_its_process_is_gone_or_is_another_process():
    assert not _run_identity.run_ended(_run_identity.run_identity(pid=os.getpid())[0])
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    run_id = _run_identity.run_identity(pid=child.pid)[0]
    assert not _run_identity.run_ended(run_id)
    child.kill()
    child.wait()
    assert _run_identity.run_ended(run_id)
    # The PID of a live process with another start time: a later process took the PID.
    host, pid, start = _run_identity.run_identity(pid=os.getpid())[0].split(":")
    assert _run_identity.run_ended(f"{host}:{pid}:{int(start) - 1}")


def test_a_run_of_another_controller_or_without_a_start_time_is_not_known_to_have_ended():
    assert not _run_identity.run_ended(f"elsewhere.example:{os.getpid()}:1")
    assert not _run_identity.run_ended(f"{socket.gethostname()}:999999999")
    assert not _run_identity.run_ended("")
    assert not _run_identity.run_ended(None)


def _this_run(proc_root="/proc"):
    """The identity of a run whose main process is this test process."""
    return _run_identity.run_identity(os.getpid(), proc_root)


def _seen_by_worker(orphan):
    """What run_process says in a process forked from this one, as a worker is from its run (orphan: in that
    worker's child, once the worker is gone and it was handed to init or a subreaper)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            if orphan:
                parent = os.getpid()
                if os.fork():
                    os._exit(0)
                deadline = time.monotonic() + 10
                while os.getppid() == parent and time.monotonic() < deadline:
                    time.sleep(0.01)
            os.write(write_end, repr(_run_identity.run_process()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        seen = pipe.read().decode()
    os.waitpid(pid, 0)
    return seen


def test_a_forked_worker_finds_its_run_and_an_orphan_finds_none():
    assert _seen_by_worker(orphan=False) == repr(os.getpid())
    assert _seen_by_worker(orphan=True) == "None"


def _module(held_by):
    """A stand-in for the module's execution: refuses while the lease's holder is not named dead."""
    calls = []

    def execute(args):
        calls.append(args)
        options = args.get("lease", args)
        if held_by and held_by["run_id"] not in options.get("dead", []):
            return {"failed": True, "msg": "held", "lease_held": held_by}
        return {"status": "took_over" if held_by else "acquired", "options": options}

    return execute, calls


def test_the_run_and_holder_are_filled_and_no_lease_means_one_plain_call():
    execute, calls = _module(None)
    got = _run_identity.execute_leased(execute, {"name": "demo"}, identity=_this_run)
    assert got["options"]["run_id"].startswith(socket.gethostname() + ":") and got["options"]["holder"]["pid"]
    assert _run_identity.execute_leased(execute, {"release_root": "/opt/demo"}, key="lease") == {
        "status": "acquired",
        "options": {"release_root": "/opt/demo"},
    }
    assert len(calls) == 2


def test_a_lease_held_by_an_ended_run_of_this_controller_is_asked_for_again_naming_it():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    ended = {"run_id": f"{socket.gethostname()}:{child.pid}:1"}
    execute, calls = _module(ended)
    got = _run_identity.execute_leased(
        execute, {"unit": "demo.service", "lease": {"name": "demo"}}, key="lease", identity=_this_run
    )
    assert got["status"] == "took_over" and len(calls) == 2
    assert calls[1]["lease"]["dead"] == [ended["run_id"]] and calls[1]["unit"] == "demo.service"


def test_a_lease_held_by_a_live_or_foreign_run_is_refused_after_one_call():
    for holder in ({"run_id": _run_identity.run_identity(pid=os.getpid())[0]}, {"run_id": "elsewhere:1:1"}):
        execute, calls = _module(holder)
        got = _run_identity.execute_leased(execute, {"name": "demo"}, identity=_this_run)
        assert got["failed"] and got["lease_held"] == holder and len(calls) == 1


def test_a_task_whose_run_has_ended_neither_takes_nor_gives_back_a_lease():
    execute, calls = _module(None)
    got = _run_identity.execute_leased(execute, {"name": "demo"}, identity=lambda proc_root: None)
    assert got["failed"] and "has ended" in got["msg"] and calls == []
