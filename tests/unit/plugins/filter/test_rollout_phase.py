# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout_phase_problem and canary_record filters (the rule itself: test_canary.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.filter.rollout_phase import canary_record, rollout_phase_problem

RELEASE = {"service": "demo", "state": "present", "version": "2.0.0", "sha256": "a" * 64}


@pytest.mark.parametrize("phase", ["all", "canary"])
def test_the_whole_rollout_and_the_canary_need_no_record(phase):
    assert rollout_phase_problem(phase, None, **RELEASE) == ""


def test_an_unknown_phase_is_refused_naming_the_three():
    problem = rollout_phase_problem("slice", None, **RELEASE)
    assert problem.startswith("gosvc_phase is 'slice'; set it to one of all, canary, rest"), problem


def test_the_rest_needs_a_passed_record_of_this_release():
    record = canary_record({"app-1": {"status": "deployed", "reason": ""}}, finished="t", **RELEASE)
    assert rollout_phase_problem("rest", record, **RELEASE) == ""
    assert rollout_phase_problem("rest", None, **RELEASE).startswith("gosvc_phase=rest needs the record")
    assert "another release" in rollout_phase_problem("rest", record, **{**RELEASE, "version": "3.0.0"})


def test_canary_record_wants_a_mapping():
    with pytest.raises(AnsibleFilterError, match="canary_record: the input must map each canary host"):
        canary_record(["app-1"], finished="t", **RELEASE)
