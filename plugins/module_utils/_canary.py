# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The canary record that lets a rollout run in phases: the canary once, then the rest in slices.

A sliced job (AWX / Automation Platform job slicing, or several controllers) runs N copies of
``deploy.yml``, each on a slice of the inventory: each copy would start with a canary of its own.
With ``gosvc_phase`` the canary runs once (``canary``: the first batch of ``gosvc_serial`` only)
and writes a record of its outcome; every slice of the rest (``rest``) refuses to start, before
it reaches a host, unless it is given the record of a canary that passed with the same release.

The record is plain data, so that it travels as a file (``-e @record.json``) or as a workflow
artifact (``set_stats``, which AWX hands to the next node as extra variables)::

    {"gosvc_canary": {"service": "demo", "state": "present", "version": "2.0.0",
                      "sha256": "<digest of the binary>", "status": "passed", "hosts": ["app-1"],
                      "reason": "", "finished": "2026-12-06T18:00:00Z"}}

Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

PHASES = ("all", "canary", "rest")

# What a release is, for this rule: the same service, state, version and binary digest.
RELEASE_KEYS = ("service", "state", "version", "sha256")
RECORD_KEYS = (*RELEASE_KEYS, "status", "hosts", "reason", "finished")


class OutcomesError(TypeError):
    """The outcomes given to ``canary_record`` are not a mapping of each canary host to its record."""


def _text(value):
    return "" if value is None else str(value)


def canary_record(outcomes, service, state, version, sha256, finished):
    """The record of a canary phase from its hosts' rollout outcomes (``gosvc_rollout`` by host).

    The canary passed when at least one host took part and every one of them was deployed and
    verified without a reason to fail (a failed ``gosvc_after_host`` leaves a reason).
    """
    if not isinstance(outcomes, Mapping):
        raise OutcomesError(f"the input must map each canary host to its rollout record, got {type(outcomes).__name__}")
    problems = []
    for host in sorted(outcomes):
        outcome = outcomes[host] if isinstance(outcomes[host], Mapping) else {}
        status = _text(outcome.get("status")) or "not reached"
        reason = _text(outcome.get("reason"))
        if status != "deployed" or reason:
            problems.append(f"{host}: {status}" + (f" - {reason}" if reason else ""))
    if not outcomes:
        problems.append("no host took part in the canary phase")
    return {
        "service": _text(service),
        "state": _text(state),
        "version": _text(version),
        "sha256": _text(sha256),
        "status": "failed" if problems else "passed",
        "hosts": sorted(str(host) for host in outcomes),
        "reason": "; ".join(problems),
        "finished": _text(finished),
    }


def rest_refusal(record, service, state, version, sha256, hint=""):
    """Why a ``rest`` phase must not start with ``record``, or "" when the canary it names passed
    with this very release. ``hint`` says where the record is expected (a file name)."""
    where = f" ({hint})" if hint else ""
    run_canary = f"Run the canary first (-e gosvc_phase=canary), then give each slice its record: -e @<record>{where}."
    if record is None or record == "":
        return (
            f"gosvc_phase=rest needs the record of a canary that passed with this release (gosvc_canary). {run_canary}"
        )
    if not isinstance(record, Mapping):
        return f"gosvc_canary must be the mapping a canary run writes, not {type(record).__name__}. {run_canary}"
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        return f"gosvc_canary lacks {', '.join(missing)}: it is not the record a canary run writes. {run_canary}"
    if record["status"] != "passed":
        return (
            f"the canary of {_text(record['service'])} {_text(record['version'])} on"
            f" {', '.join(map(str, record['hosts'] or [])) or 'no host'} did not pass"
            f" ({_text(record['status'])}: {_text(record['reason']) or 'no reason recorded'}):"
            " no slice may deploy it. Fix the release, then run the canary again."
        )
    wanted = {"service": service, "state": state, "version": version, "sha256": sha256}
    differ = [
        f"{key} {_text(record[key]) or '(none)'} in the record, {_text(wanted[key]) or '(none)'} in this run"
        for key in RELEASE_KEYS
        if _text(record[key]) != _text(wanted[key])
    ]
    if differ:
        return (
            f"the canary record is for another release than this run's ({'; '.join(differ)}):"
            f" a slice deploys only the release its canary passed with. {run_canary}"
        )
    return ""
