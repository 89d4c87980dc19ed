# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_lease: a run's lease on a service, taken, extended, waited for, taken over when expired, given back.

The races run real processes against one lease file (fcntl.flock is per open file, so threads would not do).
"""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _lease

HOLDER = {"controller": "ci-1", "user": "deploy", "pid": 4242}


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def path(tmp_path):
    return _lease.lease_path("demo", str(tmp_path / "run" / "gosvc-hardening"))


def test_a_free_lease_is_acquired_and_written_whole(path):
    clock = Clock()
    got = _lease.acquire(path, "run-a", HOLDER, ttl=600, clock=clock)
    assert got["status"] == "acquired" and got["previous"] is None and got["waited"] == 0
    on_disk = json.loads(Path(path).read_text(encoding="utf-8"))
    assert on_disk == got["lease"]
    assert on_disk["expires_at"] == clock.now + 600 and on_disk["holder"] == HOLDER


def test_the_same_run_extends_its_lease_and_keeps_when_it_began(path):
    clock = Clock()
    first = _lease.acquire(path, "run-a", HOLDER, ttl=600, clock=clock)
    clock.now += 100
    again = _lease.acquire(path, "run-a", HOLDER, ttl=600, clock=clock)
    assert again["status"] == "renewed"
    assert again["lease"]["acquired_at"] == first["lease"]["acquired_at"]
    assert again["lease"]["expires_at"] == clock.now + 600


@pytest.mark.fault(
    case="2",
    name="a second run while the first holds the lease (lease)",
    injected="run B asks for the lease of a service whose lease run A holds, with go_service_lock_wait 3 s",
    expected="B polls for 3 s, then fails naming A's run id, user, controller, PID and expiry, and what to do;"
    " A's lease untouched",
)
def test_a_live_lease_of_another_run_is_waited_for_then_refused_naming_it(path, record_property):
    clock = Clock()
    _lease.acquire(path, "run-a", HOLDER, ttl=600, clock=clock)
    before = Path(path).read_text(encoding="utf-8")
    with pytest.raises(_lease.LeaseHeld) as refused:
        _lease.acquire(path, "run-b", {"user": "other"}, ttl=600, wait=3, clock=clock, sleep=clock.sleep)
    message = str(refused.value)
    assert "run run-a of deploy on ci-1 (ansible-playbook PID 4242), since 1970-01-12T13:46:40Z" in message
    assert "its lease runs until 1970-01-12T13:56:40Z" in message and "go_service_lock_wait, 3 s now" in message
    assert sum(clock.slept) == pytest.approx(3.0) and all(s <= 0.5 for s in clock.slept)
    assert Path(path).read_text(encoding="utf-8") == before
    record_property("observed", message.replace(path, "<lease>"))


@pytest.mark.fault(
    case="2",
    name="a stale lease left by a killed run (lease)",
    injected="run A took the lease and was killed (never released it); run B asks after A's lease expired",
    expected="B takes it over at once, the result naming A's lease; A's late release leaves B's lease alone",
)
def test_an_expired_lease_is_taken_over_and_named(path, record_property):
    clock = Clock()
    _lease.acquire(path, "run-a", HOLDER, ttl=60, clock=clock)
    clock.now += 61
    got = _lease.acquire(path, "run-b", {"user": "other"}, ttl=60, wait=0, clock=clock)
    assert got["status"] == "took_over" and got["previous"]["run_id"] == "run-a" and got["waited"] == 0
    # The killed run, were it to come back, gives back nothing that is not its own.
    assert _lease.release(path, "run-a")["status"] == "held_by_other"
    assert _lease.read(path)["run_id"] == "run-b"
    record_property("observed", f"{got['status']}, previous {_lease.describe(got['previous'])}")


def test_release_gives_back_only_its_own(path):
    assert _lease.release(path, "run-a") == {"status": "not_held", "lease": None}
    _lease.acquire(path, "run-a", HOLDER, ttl=60)
    assert _lease.release(path, "run-b")["status"] == "held_by_other"
    assert _lease.release(path, "run-a")["status"] == "released"
    assert _lease.read(path) is None


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"run_id": "a"}', '{"run_id": 1, "holder": {}, "acquired_at": 1, "expires_at": 2}',
     '{"run_id": "a", "holder": {}, "acquired_at": true, "expires_at": 2}'],
    ids=["empty", "not-json", "a-list", "missing-fields", "run-id-not-text", "time-a-boolean"],
)  # fmt: skip
def test_a_file_that_is_not_a_lease_is_refused_naming_it(path, text):
    _lease.acquire(path, "run-a", HOLDER, ttl=60)
    Path(path).write_text(text, encoding="utf-8")
    with pytest.raises(_lease.LeaseError, match=r"is not a lease gosvc.hardening wrote .* remove it"):
        _lease.acquire(path, "run-b", HOLDER, ttl=60)


@pytest.mark.parametrize(("run_id", "ttl"), [("", 60), ("run-a", 0), ("run-a", -1)])
def test_a_lease_needs_a_run_id_and_a_ttl(path, run_id, ttl):
    with pytest.raises(_lease.LeaseError):
        _lease.acquire(path, run_id, HOLDER, ttl=ttl)


def _race(path, run_id, start, results):
    while time.time() < start:
        time.sleep(0.001)
    try:
        results.put((run_id, _lease.acquire(path, run_id, {"pid": run_id}, ttl=60, wait=0)["status"]))
    except _lease.LeaseHeld:
        results.put((run_id, "refused"))


def test_of_eight_processes_asking_at_once_exactly_one_gets_it(path):
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start = time.time() + 0.3
    procs = [ctx.Process(target=_race, args=(path, f"run-{i}", start, results)) for i in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(10)
    outcomes = dict(results.get(timeout=5) for _proc in procs)
    winners = [run for run, status in outcomes.items() if status == "acquired"]
    assert len(winners) == 1 and sorted(set(outcomes.values())) == ["acquired", "refused"]
    assert _lease.read(path)["run_id"] == winners[0]


def _hold_then_release(path, seconds):
    _lease.acquire(path, "run-a", HOLDER, ttl=60)
    time.sleep(seconds)
    _lease.release(path, "run-a")


def test_a_waiting_run_gets_the_lease_once_it_is_given_back(path):
    ctx = multiprocessing.get_context("fork")
    holder = ctx.Process(target=_hold_then_release, args=(path, 0.6))
    holder.start()
    deadline = time.time() + 5
    while _lease.read(path) is None and time.time() < deadline:
        time.sleep(0.01)
    got = _lease.acquire(path, "run-b", {"user": "other"}, ttl=60, wait=5, poll=0.05)
    holder.join(5)
    assert got["status"] == "acquired" and 0.3 <= got["waited"] < 3


def test_check_mode_waits_for_and_refuses_a_live_lease_but_writes_nothing(path, tmp_path):
    clock = Clock()
    fresh = _lease.lease_path("demo", str(tmp_path / "nothing-here"))
    assert _lease.check(fresh, "run-b", clock=clock)["lease"] is None
    assert not (tmp_path / "nothing-here").exists()
    _lease.acquire(path, "run-a", HOLDER, ttl=60, clock=clock)
    before = Path(path).read_text(encoding="utf-8")
    with pytest.raises(_lease.LeaseHeld):
        _lease.check(path, "run-b", wait=1, clock=clock, sleep=clock.sleep)
    clock.now += 120
    assert _lease.check(path, "run-b", clock=clock)["lease"]["run_id"] == "run-a"  # expired: free, not taken
    assert Path(path).read_text(encoding="utf-8") == before


def test_a_live_lease_of_a_run_known_to_have_ended_is_taken_over_at_once(path):
    clock = Clock()
    _lease.acquire(path, "run-a", HOLDER, ttl=600, clock=clock)
    with pytest.raises(_lease.LeaseHeld):
        _lease.acquire(path, "run-b", HOLDER, ttl=600, clock=clock, dead=("run-c",))
    got = _lease.acquire(path, "run-b", HOLDER, ttl=600, clock=clock, dead=("run-a",))
    assert got["status"] == "took_over" and got["previous"]["run_id"] == "run-a" and got["waited"] == 0
    assert "took over the lease of run run-a" in _lease.took_over_warning("demo", got)


def test_take_in_check_mode_writes_nothing(path):
    options = {"run_id": "run-a", "holder": HOLDER, "ttl": 600, "wait": 0, "dir": str(Path(path).parent)}
    got = _lease.take("demo", options, check_mode=True)
    assert got == {"status": "checked", "lease": None, "previous": None, "waited": 0, "path": path}
    assert not Path(path).exists()
    assert _lease.take("demo", options)["status"] == "acquired" and Path(path).exists()
    assert _lease.took_over_warning("demo", {"status": "acquired"}) is None
