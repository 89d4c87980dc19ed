# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run's lease on one service of a host: two runs never change the same service at once.

go_release's ``.lock`` (an fcntl.flock) covers one module call. A run is many calls, from preflight's read of
the host to verify's last probe, and a second run that starts in between (a retry while the first still runs,
two operators) would decide from a state the first is changing. The lease covers the run:

- ``<dir>/<name>.lease`` (``/run/gosvc-hardening`` by default: a tmpfs, so no lease outlives a reboot, and no
  run does either) holds who has it: the run's id, the controller, the user and the ansible-playbook PID, when
  it was taken and when it expires;
- it is read and written only under an fcntl.flock of ``<dir>/<name>.lease.lock``, held for the few
  milliseconds that takes, never for the run;
- a run takes it (``acquire``), takes it again to extend it (same run id: ``renewed``), and gives it back at
  its end (``release``). Another run's live lease is waited for, up to ``wait`` seconds, then refused naming
  its holder; an expired one (a run that was killed and never gave it back) is taken over, and the result
  names the run it was taken from.

Pure functions over the file system and a clock, so that tests reach them without a host.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time

from ansible_collections.gosvc.hardening.plugins.module_utils._files import write_bytes

#: Where leases live by default: under /run, which every systemd host mounts as a tmpfs.
LEASE_DIR = "/run/gosvc-hardening"

#: The fields a lease file must hold; one that lacks them (half written by hand, another tool) is refused.
_FIELDS = ("run_id", "holder", "acquired_at", "expires_at")


class LeaseError(Exception):
    """The lease cannot be read, written or taken; the message names why and what to do."""


class LeaseHeld(LeaseError):
    """Another run holds a live lease on the service."""

    def __init__(self, message, lease):
        super().__init__(message)
        self.lease = lease


def lease_path(name, directory=LEASE_DIR):
    return os.path.join(directory, f"{name}.lease")


def _when(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def describe(lease):
    """Who holds ``lease``, in words: 'run <id> of <user> on <controller> (ansible-playbook PID <pid>)'."""
    holder = lease.get("holder") or {}
    who = f"{holder.get('user') or 'an unknown user'} on {holder.get('controller') or 'an unknown controller'}"
    pid = f" (ansible-playbook PID {holder['pid']})" if holder.get("pid") else ""
    return f"run {lease['run_id']} of {who}{pid}, since {_when(lease['acquired_at'])}"


@contextlib.contextmanager
def _guard(path):
    """The flock under which a lease file is read and written (held for milliseconds)."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise LeaseError(f"cannot open the lease lock {path}.lock: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read(path):
    """The lease at ``path``, or None when there is none. Raises LeaseError for a file that is not one."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(65536)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LeaseError(f"cannot read the lease {path}: {exc.strerror or exc}") from None
    try:
        lease = json.loads(text)
    except ValueError:
        lease = None
    if (
        not isinstance(lease, dict)
        or any(key not in lease for key in _FIELDS)
        or not isinstance(lease["run_id"], str)
        or not isinstance(lease["holder"], dict)
        or not all(isinstance(lease[key], (int, float)) and not isinstance(lease[key], bool) for key in _FIELDS[2:])
    ):
        raise LeaseError(
            f"{path} is not a lease gosvc.hardening wrote (it needs {', '.join(_FIELDS)}): if no run of the"
            " collection is under way on this host, remove it"
        )
    return lease


def _write(path, lease):
    try:
        write_bytes(path, json.dumps(lease, sort_keys=True).encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise LeaseError(f"cannot write the lease {path}: {exc.strerror or exc}") from None


def _when_free(path, run_id, wait, clock, sleep, poll, then, dead=()):
    """Under the guard, call ``then(current, now)`` once no other run holds a live lease (``current`` is the
    lease found: None, this run's, an expired one, or one of a run in ``dead``, known to have ended), waiting up
    to ``wait`` seconds; return what it returns with the seconds waited. Raises LeaseHeld naming the holder when
    the wait runs out."""
    start = clock()
    while True:
        with _guard(path):
            now = clock()
            current = read(path)
            if (
                current is None
                or current["run_id"] == run_id
                or current["expires_at"] <= now
                or current["run_id"] in dead
            ):
                return then(current, now), round(now - start, 3)
        if now - start >= wait:
            raise LeaseHeld(
                f"another run is deploying this service: {describe(current)}; its lease runs until"
                f" {_when(current['expires_at'])}. Let it finish and run again (or wait for it: go_service_lock_wait,"
                f" {wait:g} s now). The lease of a run that was killed is taken over at once by the next run from"
                f" its controller, by any other once it expires; remove {path} only if you are sure no run holds it",
                current,
            )
        sleep(min(poll, max(wait - (now - start), 0.01)))


def acquire(path, run_id, holder, ttl, wait=0.0, clock=time.time, sleep=time.sleep, poll=0.5, dead=()):
    """Take (or extend) the lease at ``path`` for ``run_id`` for ``ttl`` seconds.

    Returns ``{"status": "acquired" | "renewed" | "took_over", "lease": ..., "previous": ... | None,
    "waited": seconds}``: ``previous`` is the lease taken over, expired or of a run in ``dead`` (the run ids the
    controller knows ended: see plugin_utils/_run_identity.py). Another run's live lease is waited for up to
    ``wait`` seconds, then LeaseHeld is raised naming its holder and when it expires.
    """
    if not run_id:
        raise LeaseError("a lease needs a run id")
    if ttl <= 0:
        raise LeaseError(f"the lease's ttl must be more than 0 seconds, not {ttl}")

    def take(current, now):
        status = "acquired" if current is None else "renewed" if current["run_id"] == run_id else "took_over"
        lease = {
            "run_id": run_id,
            "holder": dict(holder),
            "acquired_at": current["acquired_at"] if status == "renewed" else now,
            "renewed_at": now,
            "expires_at": now + ttl,
        }
        _write(path, lease)
        return {"status": status, "lease": lease, "previous": current if status == "took_over" else None}

    got, waited = _when_free(path, run_id, wait, clock, sleep, poll, take, dead)
    return dict(got, waited=waited)


def check(path, run_id, wait=0.0, clock=time.time, sleep=time.sleep, poll=0.5, dead=()):
    """What ``acquire`` would wait for and refuse, without writing anything (check mode).

    Returns ``{"status": "checked", "lease": the lease found or None, "previous": None, "waited": seconds}``.
    """
    if not os.path.isdir(os.path.dirname(path)):
        return {"status": "checked", "lease": None, "previous": None, "waited": 0}
    found, waited = _when_free(path, run_id, wait, clock, sleep, poll, lambda current, now: current, dead)
    return {"status": "checked", "lease": found, "previous": None, "waited": waited}


def release(path, run_id, clock=time.time):
    """Give back ``run_id``'s lease at ``path``.

    Returns ``{"status": "released" | "not_held" | "held_by_other", "lease": ...}``: a lease of another run (this
    one's expired and was taken over) is left to it.
    """
    if not os.path.lexists(path):
        return {"status": "not_held", "lease": None}
    with _guard(path):
        current = read(path)
        if current is None:
            return {"status": "not_held", "lease": None}
        if current["run_id"] != run_id:
            return {"status": "held_by_other", "lease": current}
        try:
            os.unlink(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise LeaseError(f"cannot remove the lease {path}: {exc.strerror or exc}") from None
        return {"status": "released", "lease": current}


def take(name, options, check_mode=False):
    """Take the lease on ``name`` as ``options`` (LEASE_OPTIONS) say, or in check mode see whether it could be
    taken; the result with the lease file's ``path``. Raises LeaseError (LeaseHeld) as acquire does."""
    path = lease_path(name, options["dir"])
    dead = tuple(options.get("dead") or ())
    if check_mode:
        return dict(check(path, options["run_id"], options["wait"], dead=dead), path=path)
    got = acquire(path, options["run_id"], options["holder"], options["ttl"], options["wait"], dead=dead)
    return dict(got, path=path)


def took_over_warning(name, got):
    """The warning for a lease taken from another run (None when it was not): that run never gave it back."""
    if got.get("status") != "took_over":
        return None
    return (
        f"{name}: took over the lease of {describe(got['previous'])}: that run ended without giving it back"
        " (killed, or its controller lost); check the service before relying on it"
    )


#: A lease's options: run_lock's own, and service_facts's ``lease`` (the role takes the lease in its preflight
#: read, no extra call). ``run_id``, ``holder`` and ``dead`` are filled by the action plugins on the controller.
LEASE_OPTIONS = dict(
    run_id=dict(type="str", required=True),
    holder=dict(type="dict", default={}),
    ttl=dict(type="int", default=1800),
    wait=dict(type="int", default=0),
    dir=dict(type="path", default=LEASE_DIR),
    dead=dict(type="list", elements="str", default=[]),
)

#: The options of gosvc.hardening.run_lock (its DOCUMENTATION describes them).
ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["acquired", "released"], default="acquired"),
    **LEASE_OPTIONS,
)
