# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.go_artifact: resolve the artifact in the controller process.

The module's work (download or copy into the per-user cache, checksum, archive extraction) is
controller-side by design, and its code is standard library plus ``module_utils.urls``. Running
it here instead of as a module delegated to localhost saves the local connection's command
executions on every run; on a cache hit the task costs no process at all. The module file
still documents the options and runs the same code when executed as a module.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.module_utils._artifact import (
    ARGUMENT_SPEC,
    DIGESTS,
    SOURCES,
    run,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, mutually_exclusive=[SOURCES, DIGESTS], required_one_of=[SOURCES, DIGESTS]
        )
        outcome = run(args)
        warnings = outcome.pop("warnings", [])
        if warnings:
            result["warnings"] = result.get("warnings", []) + warnings
        result.update(outcome)
        return result
