# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.report_files: write report files on the controller.

Runs entirely in the controller's worker process: no connection, no module, no ``localhost``
round trips (a ``copy`` delegated to localhost costs seven local command executions per file).
Each file is written to a temporary file in the target directory and renamed over the old one,
so a reader (a CI job collecting JUnit files) never sees half a report.
"""

from __future__ import annotations

import os

from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.module_utils._report_files import (
    ARGUMENT_SPEC,
    NAME_RE,
    write_atomically,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        directory = args["dir"]
        try:
            mode = int(args["mode"], 8)
        except ValueError:
            return dict(
                result, failed=True, msg=f"report_files: mode must be octal, e.g. '0644' (got {args['mode']!r})"
            )
        names = [f["name"] for f in args["files"]] + args["remove"]
        bad = [name for name in names if not NAME_RE.match(name)]
        if bad:
            return dict(
                result,
                failed=True,
                msg=f"report_files: file names must not contain a directory or start with a dot: {', '.join(bad)}",
            )
        written, unchanged, removed = [], [], []
        try:
            os.makedirs(directory, mode=0o755, exist_ok=True)
            for item in args["files"]:
                path = os.path.join(directory, item["name"])
                changed = write_atomically(path, to_bytes(item["content"], errors="surrogate_or_strict"), mode)
                (written if changed else unchanged).append(path)
            # Reports an earlier run left that this run would otherwise show beside its own.
            for name in args["remove"]:
                path = os.path.join(directory, name)
                if os.path.lexists(path):
                    os.unlink(path)
                    removed.append(path)
        except OSError as exc:
            return dict(
                result,
                failed=True,
                msg=f"report_files: cannot write the reports in {directory} on the controller: {to_native(exc)}. "
                "Set the report directory to a writable path.",
            )
        # A report is not configuration of the fleet: writing it is never a change.
        return dict(result, changed=False, dir=directory, written=written, unchanged=unchanged, removed=removed)
