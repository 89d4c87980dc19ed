# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The canary record and the rule a slice of the rest applies to it (module_utils/_canary.py)."""

from __future__ import annotations

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._canary import (
    RECORD_KEYS,
    canary_record,
    rest_refusal,
)

SHA = "a" * 64
RELEASE = {"service": "demo", "state": "present", "version": "2.0.0", "sha256": SHA}
DEPLOYED = {"status": "deployed", "from": "1.0.0", "to": "2.0.0", "reason": ""}


def _record(outcomes):
    return canary_record(outcomes, finished="2026-12-06T18:00:00Z", **RELEASE)


def test_a_canary_whose_hosts_were_all_deployed_passed():
    record = _record({"app-2": DEPLOYED, "app-1": DEPLOYED})
    assert record == {
        **RELEASE,
        "status": "passed",
        "hosts": ["app-1", "app-2"],
        "reason": "",
        "finished": "2026-12-06T18:00:00Z",
    }
    assert tuple(record) == RECORD_KEYS


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        ({"status": "rolled back", "reason": "readyz never passed"}, "app-1: rolled back - readyz never passed"),
        ({"status": "unreachable", "reason": ""}, "app-1: unreachable"),
        # Deployed, but its gosvc_after_host failed: the reason says so, and the canary did not pass.
        ({"status": "deployed", "reason": "gosvc_after_host failed"}, "app-1: deployed - gosvc_after_host failed"),
        (
            {"status": "unchanged", "reason": "go_service: the artifact failed"},
            "app-1: unchanged - go_service: the artifact failed",
        ),
        ({}, "app-1: not reached"),
        ("not a record", "app-1: not reached"),
    ],
)
def test_a_canary_with_a_host_that_did_not_pass_failed_naming_it(outcome, reason):
    record = _record({"app-1": outcome, "app-2": DEPLOYED})
    assert (record["status"], record["reason"], record["hosts"]) == ("failed", reason, ["app-1", "app-2"])


def test_a_canary_without_hosts_failed():
    record = _record({})
    assert (record["status"], record["hosts"]) == ("failed", [])
    assert record["reason"] == "no host took part in the canary phase"


def test_the_outcomes_must_be_a_mapping():
    with pytest.raises(TypeError, match="map each canary host"):
        canary_record(["app-1"], finished="", **RELEASE)


def test_a_passed_record_of_this_release_lets_the_rest_run():
    assert rest_refusal(_record({"app-1": DEPLOYED}), **RELEASE) == ""


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, "gosvc_phase=rest needs the record of a canary that passed with this release (gosvc_canary)"),
        ("", "gosvc_phase=rest needs the record of a canary"),
        (["app-1"], "gosvc_canary must be the mapping a canary run writes, not list"),
        ({"service": "demo", "status": "passed"}, "gosvc_canary lacks state, version, sha256, hosts, reason, finished"),
    ],
)
def test_no_record_or_not_a_record_is_refused_saying_how_to_get_one(record, expected):
    problem = rest_refusal(record, hint="reports/canary/demo.json", **RELEASE)
    assert problem.startswith(expected), problem
    assert problem.endswith(
        "Run the canary first (-e gosvc_phase=canary), then give each slice its record: -e @<record>"
        " (reports/canary/demo.json)."
    ), problem


def test_a_failed_canary_stops_the_rest_naming_its_hosts_and_reason():
    record = _record({"app-1": {"status": "rolled back", "reason": "readyz never passed"}})
    assert rest_refusal(record, **RELEASE) == (
        "the canary of demo 2.0.0 on app-1 did not pass (failed: app-1: rolled back - readyz never passed):"
        " no slice may deploy it. Fix the release, then run the canary again."
    )


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("version", "3.0.0", "version 2.0.0 in the record, 3.0.0 in this run"),
        ("sha256", "b" * 64, f"sha256 {SHA} in the record, {'b' * 64} in this run"),
        ("service", "demo2", "service demo in the record, demo2 in this run"),
        ("state", "absent", "state present in the record, absent in this run"),
        ("sha256", "", f"sha256 {SHA} in the record, (none) in this run"),
    ],
)
def test_a_record_of_another_release_is_refused_naming_the_difference(key, value, says):
    problem = rest_refusal(_record({"app-1": DEPLOYED}), **{**RELEASE, key: value})
    assert problem.startswith(f"the canary record is for another release than this run's ({says}):"), problem
