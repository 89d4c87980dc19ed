# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout in phases (``gosvc_phase``): the canary once, then the rest in slices.

The rules are ``module_utils/_canary.py``; ``deploy.yml`` calls them through these filters on the
controller: ``rollout_phase_problem`` before a ``rest`` slice reaches a host, ``canary_record``
when the canary phase ends.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# The module_utils are imported inside the filters, when one is called: to find any one filter of
# this collection, ansible-core imports every filter file of it, in every worker process of every
# task (docs/benchmarks.md, "Our filters in every worker").


def rollout_phase_problem(phase, canary=None, service="", state="", version="", sha256="", hint=""):
    """Why this phase must not run, or "" (see rollout_phase_problem.yml)."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._canary import PHASES, rest_refusal

    if phase not in PHASES:
        return (
            f"gosvc_phase is {phase!r}; set it to one of {', '.join(PHASES)} (all: the whole rollout in one run,"
            " the default; canary: only the first batch, which writes the canary record; rest: a slice of the"
            " rest, given the record of a canary that passed)."
        )
    if phase != "rest":
        return ""
    return rest_refusal(canary, service, state, version, sha256, hint=hint)


def canary_record(outcomes, service, state, version, sha256, finished):
    """The canary phase's record from its hosts' rollout outcomes (see canary_record.yml)."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._canary import OutcomesError
    from ansible_collections.gosvc.hardening.plugins.module_utils._canary import canary_record as record

    try:
        return record(outcomes, service, state, version, sha256, finished)
    except OutcomesError as exc:
        raise AnsibleFilterError(f"canary_record: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"rollout_phase_problem": rollout_phase_problem, "canary_record": canary_record}
