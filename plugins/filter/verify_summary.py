# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet summary table: one line per host from its verify report (and rollout outcome)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

_COLUMNS = ("HOST", "VERSION", "USER", "HEALTH", "EXPOSURE", "RESTARTS", "FAILED CHECKS")


def _cells(row):
    host = str(row.get("host"))
    report = row.get("report") or None
    version = row.get("version") or (report or {}).get("version") or "-"
    if not report:
        return [host, str(version), "-", "-", "-", "-", row.get("note") or "not verified"]
    user = report.get("user") or "-"
    if report.get("uid") is not None:
        user = f"{user}({report['uid']})"
    exposure = report.get("exposure")
    exposure_text = "-" if exposure is None else f"{exposure:.1f} {report.get('exposure_level') or ''}".strip()
    restarts = report.get("n_restarts")
    failed = list(report.get("failed_checks") or [])
    failed += [f"{name}(warning)" for name in report.get("warnings") or []]
    failed += [f"{name}(audit)" for name in report.get("audit_findings") or []]
    return [
        host,
        str(version),
        user,
        str(report.get("health") or "-"),
        exposure_text,
        "-" if restarts is None else str(restarts),
        ",".join(failed) or "none",
    ]


def _same_release_text(new, changed, files=None):
    """A host deployed on the release it already ran: whether the run changed it, and which files it wrote."""
    try:
        changed = None if changed is None else boolean(changed)
    except TypeError:
        changed = None
    if changed is None:
        # A record without a readable ``changed`` (a playbook of your own): whether the host changed is not known.
        return f"{new} (same release)"
    if not changed:
        return f"{new} (unchanged)"
    names = [os.path.basename(str(path)) for path in files or [] if path] if isinstance(files, list) else []
    return f"{new} (reconfigured: {', '.join(names)})" if names else f"{new} (reconfigured)"


def _drained_text(rollout):
    """How long deploy's gosvc_before_host took to drain the host, when it ran: ``; drained 2.1 s``."""
    seconds = rollout.get("drain_seconds")
    try:
        return "" if seconds is None or isinstance(seconds, bool) else f"; drained {float(seconds):.1f} s"
    except (TypeError, ValueError):
        return ""


def rollout_text(rollout):
    """One cell for a rollout record ``{status, from, to, reason, changed, files, replaced, drain_seconds}`` (or a
    plain string)."""
    if not rollout:
        return "-"
    if not isinstance(rollout, dict):
        return str(rollout)
    status, old, new = rollout.get("status"), rollout.get("from") or "none", rollout.get("to") or "?"
    if status == "deployed":
        if old != new:
            text = f"{old} -> {new}"
        else:
            text = _same_release_text(new, rollout.get("changed"), rollout.get("files"))
        replaced = rollout.get("replaced")
        if isinstance(replaced, list) and replaced:
            # go_service_replaces: the services this one took over from, uninstalled by the run.
            text += f"; replaced {', '.join(str(name) for name in replaced)}"
        return text + _drained_text(rollout)
    if status == "rolled back":
        return f"{new} failed, rolled back to {old}" + _drained_text(rollout)
    if status == "rollback failed":
        return f"{new} failed, ROLLBACK FAILED (was {old})"
    if status == "failed":
        return f"{new} failed, nothing to roll back to"
    if status == "unchanged":
        return f"{new} failed before changing the host"
    if status == "unreachable":
        return f"{new} NOT DEPLOYED, HOST UNREACHABLE (was {old})"
    return str(status or "-")


def verify_summary(rows):
    """Lines of the fleet table, header first (see verify_summary.yml)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) and r.get("host") for r in rows):
        raise AnsibleFilterError("verify_summary: the input must be a list of mappings with at least a host key")
    with_rollout = any(r.get("rollout") for r in rows)
    header = list(_COLUMNS) + (["ROLLOUT"] if with_rollout else [])
    table = [header]
    for row in sorted(rows, key=lambda r: str(r["host"])):
        cells = _cells(row)
        if with_rollout:
            cells.append(rollout_text(row.get("rollout")))
        table.append(cells)
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])) + "  " + line[-1] for line in table]


class FilterModule:
    def filters(self):
        return {"verify_summary": verify_summary}
