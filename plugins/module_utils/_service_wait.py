# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait, in one call, until a (re)started unit is active, healthy and ready (gosvc.hardening.service_wait).

The steps the go_service role took as separate tasks, with the same rules:

1. ``systemctl show`` until ``ActiveState=active``. A unit that reaches ``failed`` (no restart
   left) fails at once instead of waiting out the timeout.
2. Optionally, ``settle`` seconds later the unit must still be active with the same main PID
   (a service that nothing else can prove healthy may crash right after starting).
3. The health URL until it answers (health_check's schedule: retries every second, backing off
   to 5 s, within ``timeout``), then the readiness URL until it answers
   ``ready_success_threshold`` times in a row. Between attempts the unit is read again: one
   that has failed meanwhile (a crash loop that used up its restarts) ends the wait at once.
4. Each URL that answered must be the unit's: the socket listening at its address is held by a
   process of the unit (``_listeners.owner_problem``), not by another service on the same port.

``run(argv) -> (rc, stdout, stderr)``, ``clock`` and ``sleep`` are injected, so the tests drive
the unit states and the time; the HTTP probes are the real health_check code.
"""

from __future__ import annotations

import time

from ansible_collections.gosvc.hardening.plugins.module_utils._http import (
    HealthCheckError,
    build_config,
    run_health_check,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._listeners import owner_problem
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import parse_show

UNIT_KEYS = ("LoadState", "ActiveState", "SubState", "Result", "MainPID", "NRestarts", "ExecMainStartTimestamp")
#: How often the unit's state is read while waiting for it to become active.
POLL_SECONDS = 0.5
#: How many of the unit's newest journal lines a failure message carries.
JOURNAL_LINES = 10
MASK = "********"


class WaitInputError(ValueError):
    """An option is unusable; the message names it."""


class _UnitFailed(Exception):
    """The unit failed while it was being probed (raised between two probe attempts)."""

    def __init__(self, shown):
        super().__init__(shown.get("ActiveState"))
        self.shown = shown


def probe_config(option, url, timeout, success_threshold):
    """health_check settings for one URL: retries every second (backing off to 5 s) within ``timeout``."""
    params = {
        "url": url,
        "deadline": timeout,
        "retries": max(int(timeout), success_threshold - 1),
        "delay": 1.0,
        "max_delay": 5.0,
        "success_threshold": success_threshold,
    }
    try:
        return build_config(params)
    except HealthCheckError as exc:
        raise WaitInputError(f"{option} {url!r}: {exc}") from None


def read_unit(run, systemctl, unit):
    argv = [systemctl, "show", "-p", ",".join(UNIT_KEYS), "--", unit]
    rc, out, err = run(argv)
    if rc != 0:
        raise WaitInputError(f"reading {unit} with {' '.join(argv)}: exit code {rc}: {(err or out).strip()}")
    shown = parse_show(out)
    return {key: shown.get(key, "") for key in UNIT_KEYS}


def _state(unit, shown):
    return (
        f"ActiveState={shown['ActiveState']}, SubState={shown['SubState']}, Result={shown['Result']}, "
        f"NRestarts={shown['NRestarts'] or '?'}; see journalctl -u {unit}"
    )


def masked(text, secrets):
    """``text`` with every secret value, and every line of a multi-line one, replaced by MASK."""
    pieces = set()
    for secret in secrets:
        secret = str(secret)
        pieces.add(secret)
        pieces.update(line.strip() for line in secret.splitlines())
    for piece in sorted((p for p in pieces if len(p) >= 3), key=len, reverse=True):
        text = text.replace(piece, MASK)
    return text


def journal_excerpt(run, journalctl, unit, secrets=(), lines=JOURNAL_LINES):
    """The unit's newest journal lines (systemd's own about it included: how the main process ended),
    secrets masked, as the text a failure message ends with; "" when the journal cannot be read."""
    if not journalctl:
        return ""
    rc, out, _err = run([journalctl, "-u", unit, "-n", str(lines), "-o", "cat", "--no-pager"])
    shown = [line for line in (out or "").splitlines() if line.strip()]
    if rc != 0 or not shown:
        return ""
    body = "\n".join("  " + masked(line, secrets) for line in shown)
    return f"\nThe last {len(shown)} journal lines of {unit}:\n{body}"


def wait_for_service(
    run,
    systemctl,
    unit,
    timeout,
    health=None,
    readiness=None,
    settle=0.0,
    clock=time.monotonic,
    sleep=time.sleep,
    journalctl=None,
    secrets=(),
    check_owner=True,
    proc="/proc",
):
    """Wait as described in the module docstring; return the result (``failed`` and ``msg`` when it failed).

    ``health`` and ``readiness`` are health_check configs (``probe_config``) or None. A failure's
    message ends with the unit's newest journal lines (``journalctl``'s path; ``secrets`` masked), so
    that the reason reaches the controller without a shell on the host.
    """
    result = _wait(run, systemctl, unit, timeout, health, readiness, settle, clock, sleep, check_owner, proc)
    if result["failed"]:
        result["msg"] += journal_excerpt(run, journalctl, unit, secrets)
    return result


def _wait(run, systemctl, unit, timeout, health, readiness, settle, clock, sleep, check_owner=True, proc="/proc"):
    result = {
        "unit": unit,
        "state": None,
        "settled": None,
        "liveness": None,
        "readiness": None,
        "owners": {},
        "failed": False,
    }
    started = clock()
    while True:
        shown = read_unit(run, systemctl, unit)
        result["state"] = shown
        if shown["ActiveState"] == "active":
            break
        if shown["LoadState"] == "not-found":
            return dict(result, failed=True, msg=f"{unit} is not known to systemd (LoadState=not-found)")
        waited = clock() - started
        if shown["ActiveState"] == "failed" or waited >= timeout:
            after = "it failed" if shown["ActiveState"] == "failed" else f"{timeout:g}s"
            return dict(result, failed=True, msg=f"{unit} is not active after {after}: {_state(unit, shown)}")
        sleep(min(POLL_SECONDS, max(timeout - waited, 0)))

    if settle > 0:
        sleep(settle)
        later = read_unit(run, systemctl, unit)
        result["settled"] = later
        if later["ActiveState"] != "active" or later["MainPID"] != shown["MainPID"]:
            return dict(
                result,
                failed=True,
                msg=(
                    f"{unit} did not stay up: ActiveState={later['ActiveState']}, Result={later['Result']}, "
                    f"main PID {shown['MainPID']} -> {later['MainPID']} within {settle:g}s of the start; "
                    f"see journalctl -u {unit}"
                ),
            )

    def watchful_sleep(seconds):
        """Between probe attempts, read the unit: one that has failed (its restarts used up) cannot answer."""
        sleep(seconds)
        now = read_unit(run, systemctl, unit)
        if now["ActiveState"] == "failed":
            raise _UnitFailed(now)

    for key, config in (("liveness", health), ("readiness", readiness)):
        if config is None:
            continue
        try:
            probed = run_health_check(config, clock=clock, sleep=watchful_sleep)
        except _UnitFailed as failed:
            result["state"] = failed.shown
            return dict(
                result,
                failed=True,
                msg=f"{unit} failed while its {key} was probed ({config.target.url}): {_state(unit, failed.shown)}",
            )
        result[key] = probed
        if probed["stop_reason"] != "success":
            return dict(result, failed=True, msg=probed["msg"])
        if check_owner:
            problem, found = owner_problem(config.target, unit, proc, main_pid=result["state"].get("MainPID"))
            result["owners"][key] = found
            if problem:
                return dict(result, failed=True, msg=problem)
    return result


#: The options of gosvc.hardening.service_wait (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    unit=dict(type="str", required=True),
    timeout=dict(type="float", default=60),
    settle=dict(type="float", default=0),
    health_url=dict(type="str", default=""),
    ready_url=dict(type="str", default=""),
    ready_success_threshold=dict(type="int", default=2),
    secrets=dict(type="list", elements="str", default=[], no_log=True),
    check_owner=dict(type="bool", default=True),
)
