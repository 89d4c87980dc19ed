# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the go_service role needs to know about a host before it changes anything, read in one call.

Pure functions over the file system and one command runner, so that tests reach them without a host:

- ``service_manager(proc_root)``: the name of PID 1 (``systemd`` on a systemd host);
- ``systemd_version(run)``: the major version from ``systemctl --version``, or None;
- ``release_facts(root)``: the release tree of gosvc.hardening.go_release (``current`` and
  ``.releases.json``), never raising: a tree go_release would refuse is reported in ``error``;
- ``path_facts(paths)``: whether each path exists;
- ``account_facts(user, group)``: the passwd and group entries of the service account;
- ``unit_facts(run, unit)``: the unit's load, active and enablement state from ``systemctl show``;
- ``files``: each path as ``_service_config.observe`` describes it (what service_config would compare).
"""

from __future__ import annotations

import grp
import os
import pwd

from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    Layout,
    ReleaseError,
    read_current,
    read_state,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import observe
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    AnalyzeError,
    parse_show,
    parse_version,
)

# read_state needs a binary name for records written before binary_name was kept; facts do not use it.
_ANY_BINARY = "binary"


def service_manager(proc_root="/proc"):
    """The command name of PID 1, or None when it cannot be read."""
    try:
        with open(os.path.join(proc_root, "1", "comm"), encoding="utf-8", errors="replace") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def systemd_version(run):
    """The major systemd version from ``systemctl --version``; None when systemctl is missing or fails.

    ``run(argv)`` returns ``(rc, stdout, stderr)`` like AnsibleModule.run_command.
    """
    try:
        rc, out, _err = run(["systemctl", "--version"])
    except OSError:
        return None
    if rc != 0:
        return None
    try:
        return parse_version(out)
    except AnalyzeError:
        return None


def release_facts(root):
    """The release tree under ``root`` as go_release keeps it."""
    facts = {
        "root": root,
        "exists": os.path.isdir(root),
        "current": None,
        "releases": [],
        "switched_from": None,
        "error": None,
    }
    if not facts["exists"]:
        return facts
    layout = Layout(root)
    try:
        state, _existed = read_state(layout, _ANY_BINARY)
        link = read_current(layout)
    except ReleaseError as exc:
        facts["error"] = str(exc)
        return facts
    installed = set()
    for release in state.releases:
        if os.path.isfile(layout.binary(release.version, release.binary_name)):
            installed.add(release.version)
            facts["releases"].append(release.as_result())
    facts["current"] = link.version if link.version in installed else None
    facts["switched_from"] = state.switched_from
    return facts


def path_facts(paths):
    """``{path: exists}`` for each path (a dangling symbolic link counts as existing)."""
    return {path: os.path.lexists(path) for path in paths}


def _shadow_locked(user, shadow_path):
    """Whether the shadow password of ``user`` is exactly "!" (no password, as the role sets it); None unknown."""
    try:
        with open(shadow_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if fields[0] == user and len(fields) > 1:
                    return fields[1] == "!"
    except OSError:
        return None
    return None


def account_facts(user=None, group=None, shadow_path="/etc/shadow"):
    """The passwd entry of ``user`` and the group entry of ``group``; None for a name that does not exist.

    Never a password hash: ``password_locked`` only says whether the shadow field is exactly ``!``.
    """
    facts = {"user": None, "group": None}
    if user:
        try:
            entry = pwd.getpwnam(user)
            facts["user"] = {
                "name": entry.pw_name,
                "uid": entry.pw_uid,
                "gid": entry.pw_gid,
                "home": entry.pw_dir,
                "shell": entry.pw_shell,
                "comment": entry.pw_gecos,
                "password_locked": _shadow_locked(user, shadow_path),
            }
        except KeyError:
            pass
    if group:
        try:
            entry = grp.getgrnam(group)
            facts["group"] = {"name": entry.gr_name, "gid": entry.gr_gid}
        except KeyError:
            pass
    return facts


UNIT_PROPERTIES = ("LoadState", "ActiveState", "SubState", "UnitFileState", "NeedDaemonReload", "NRestarts")


def unit_facts(run, unit):
    """``systemctl show`` of ``unit``: load, active, sub and enablement state; None when systemctl fails.

    ``n_restarts`` counts the automatic restarts since the unit was last started on purpose (systemd resets
    NRestarts on an explicit start or restart); None when systemd does not report it (older than 235).
    """
    try:
        rc, out, _err = run(["systemctl", "show", "--property=" + ",".join(UNIT_PROPERTIES), "--", unit])
    except OSError:
        return None
    if rc != 0:
        return None
    shown = parse_show(out)
    return {
        "name": unit,
        "load_state": shown.get("LoadState") or None,
        "active_state": shown.get("ActiveState") or None,
        "sub_state": shown.get("SubState") or None,
        "unit_file_state": shown.get("UnitFileState") or None,
        "need_daemon_reload": shown.get("NeedDaemonReload") == "yes",
        "n_restarts": int(shown["NRestarts"]) if shown.get("NRestarts", "").isdigit() else None,
    }


def systemd_problem(facts):
    """Why a host read by ``gather`` is not a systemd host (a sentence), or None when it is."""
    if facts["service_manager"] == "systemd" and facts["systemd_version"] is not None:
        return None
    if facts["service_manager"] != "systemd":
        return (
            f"PID 1 of this host is {facts['service_manager'] or 'unknown'!r}, not systemd: only hosts that run "
            "systemd as their service manager are supported"
        )
    return "PID 1 is systemd but `systemctl --version` did not answer: systemctl is missing or broken"


def gather(
    run, release_root=None, paths=(), proc_root="/proc", user=None, group=None, unit=None, files=(), digest_key=""
):
    return {
        "service_manager": service_manager(proc_root),
        "systemd_version": systemd_version(run),
        "release": release_facts(release_root) if release_root else None,
        "paths": path_facts(paths),
        "account": account_facts(user, group),
        "unit": unit_facts(run, unit) if unit else None,
        "files": {path: observe(path, digest_key) for path in files},
    }
