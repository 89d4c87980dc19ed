# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the go_service role needs to know about a host before it changes anything, read in one call.

Pure functions over the file system and one command runner, so that tests reach them without a host:

- ``service_manager(proc_root)``: the name of PID 1 (``systemd`` on a systemd host);
- ``systemd_version(run)``: the major version from ``systemctl --version``, or None;
- ``release_facts(root)`` (``_release``'s): the release tree of gosvc.hardening.go_release (``current`` and
  ``.releases.json``), never raising: a tree go_release would refuse is reported in ``error``;
- ``path_facts(paths)``: whether each path exists;
- ``account_facts(user, group)``: the passwd and group entries of the service account;
- ``unit_facts(run, unit)``: the unit's load, active and enablement state from ``systemctl show``;
- ``files``: each path as ``_service_config.observe`` describes it (what service_config would compare);
- ``ownership(paths, marker)``: which files carry the install marker and what each directory holds, so
  that the role takes over and removes only what it wrote;
- ``room_facts(paths)``, ``release_bytes(...)`` and ``room_problems(...)``: whether the file systems the run
  writes to are writable and the release fits, so that a read-only ``/etc`` or a full disk is refused before
  anything changes.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import time

from ansible_collections.gosvc.hardening.plugins.module_utils._layout import LAYOUT_KEYS, service_layout
from ansible_collections.gosvc.hardening.plugins.module_utils._lease import LEASE_OPTIONS
from ansible_collections.gosvc.hardening.plugins.module_utils._listeners import socket_peers
from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    CURRENT_LINK,
    LOCK_FILE,
    RELEASES_DIR,
    STAGING_DIR,
    STATE_BACKUP_FILE,
    STATE_FILE,
    TEMP_PREFIX,
    Layout,
    release_facts,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import backups_of, observe
from ansible_collections.gosvc.hardening.plugins.module_utils._snapshot import (
    SNAPSHOTS_DIR,
    recorded_files,
    recorded_probes,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    AnalyzeError,
    parse_show,
    parse_version,
)


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


#: How far into a file the install marker is looked for: the templates write it in their first lines.
MARKER_BYTES = 4096
#: At most this many entries of a directory are listed (enough to tell "only ours" from "not only ours").
ENTRIES_MAX = 64


def _carries(path, marker):
    """Whether ``path`` is a regular file (not a link) whose first MARKER_BYTES hold ``marker``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return marker.encode() in os.read(fd, MARKER_BYTES)
    finally:
        os.close(fd)


def _entries(path):
    """The sorted names in directory ``path`` (not a link), at most ENTRIES_MAX + 1; None when not one."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return None
        with os.scandir(path) as listing:
            names = []
            for entry in listing:
                names.append(entry.name)
                if len(names) > ENTRIES_MAX:
                    break
    except OSError:
        return None
    return sorted(names)


def ownership(paths, marker):
    """``{"marked": {path: bool}, "entries": {path: [names] | None}}`` for each of ``paths``.

    ``marked``: a regular file that carries ``marker`` (the line the role's templates write), i.e. one the
    role wrote. ``entries``: what a directory holds (None when the path is not a directory), so that a
    directory is taken over or removed only when nothing but the role's own files is in it.
    """
    return {
        "marked": {path: _carries(path, marker) for path in paths},
        "entries": {path: _entries(path) for path in paths},
    }


UNIT_PROPERTIES = (
    "LoadState",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "NeedDaemonReload",
    "NRestarts",
    "ExecMainStartTimestampMonotonic",
    "FragmentPath",
    "User",
    "Group",
)


#: How much earlier than the switch of ``current`` the main process must have started to count as started
#: before it: far more than the clocks' error, far less than a run takes from its switch to its restart.
SWITCH_MARGIN = 1.0


def started_before_switch(started_monotonic, link, clock=time):
    """Whether the process that started at ``started_monotonic`` (CLOCK_MONOTONIC seconds, as systemd's
    ``ExecMainStartTimestampMonotonic``) started before ``link`` (the ``current`` link, whose mtime is when it was
    last switched) was last switched; None when either is unknown. A process that started before the switch runs the
    release ``current`` pointed to before: the run that switched was stopped before it restarted the service."""
    if not started_monotonic:
        return None
    try:
        switched = os.lstat(link).st_mtime
    except OSError:
        return None
    switched_monotonic = switched - clock.time() + clock.monotonic()
    return started_monotonic < switched_monotonic - SWITCH_MARGIN


def unit_facts(run, unit):
    """``systemctl show`` of ``unit``: load, active, sub and enablement state, the file it is loaded from and the
    user and group it runs as (None when it names none: root); None when systemctl fails.

    ``n_restarts`` counts the automatic restarts since the unit was last started on purpose (systemd resets
    NRestarts on an explicit start or restart); None when systemd does not report it (older than 235).
    ``main_started_monotonic`` is when its main process started (CLOCK_MONOTONIC seconds; None when none runs).
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
        "main_started_monotonic": (
            int(shown["ExecMainStartTimestampMonotonic"]) / 1e6
            if shown.get("ExecMainStartTimestampMonotonic", "").isdigit()
            and shown["ExecMainStartTimestampMonotonic"] != "0"
            else None
        ),
        "fragment_path": shown.get("FragmentPath") or None,
        "user": shown.get("User") or None,
        "group": shown.get("Group") or None,
    }


#: The oldest systemd the collection supports (Debian 11's): the role writes directives and reads properties
#: that older releases lack or read otherwise, and only 247 and later are tested.
MIN_SYSTEMD = 247


def systemd_problem(facts):
    """Why a host read by ``gather`` cannot take a go_service service (a sentence), or None when it can: it must
    run systemd ``MIN_SYSTEMD`` or later as its service manager."""
    version = facts["systemd_version"]
    if facts["service_manager"] == "systemd" and version is not None:
        if version < MIN_SYSTEMD:
            return (
                f"this host runs systemd {version}; go_service needs systemd {MIN_SYSTEMD} or later (Debian 11,"
                " Ubuntu 22.04, RHEL 9 and their successors): the unit it writes and the properties it reads are"
                " those of 247 and later. Upgrade the host, or leave it out of the play"
            )
        return None
    if facts["service_manager"] != "systemd":
        return (
            f"PID 1 of this host is {facts['service_manager'] or 'unknown'!r}, not systemd: only hosts that run "
            "systemd as their service manager are supported"
        )
    return "PID 1 is systemd but `systemctl --version` did not answer: systemctl is missing or broken"


#: What go_release writes beside a new release's binary: its record, the record's backup and the
#: release's snapshot of the unit and configuration files.
RELEASE_SLACK_BYTES = 1 << 20


def _existing_dir(path):
    """The nearest directory at or above ``path`` that exists: where a write under ``path`` lands."""
    path = os.path.abspath(path)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def room_facts(paths):
    """For each of ``paths`` (what the run may write), the directory a write would land in (``dir``), whether
    its file system is mounted read-only (``read_only``) and the bytes an unprivileged user may still write
    there (``free_bytes``; root may have the reserved blocks besides). None for a path statvfs cannot read."""
    facts = {}
    for path in paths:
        where = _existing_dir(path)
        try:
            fs = os.statvfs(where)
        except OSError:
            facts[path] = None
            continue
        facts[path] = {
            "dir": where,
            "read_only": bool(fs.f_flag & os.ST_RDONLY),
            "free_bytes": fs.f_bavail * fs.f_frsize,
        }
    return facts


def release_bytes(release, version, size=None, binary_path=None):
    """The size of the release ``version`` this run installs into the tree ``release`` (``release_facts``): 0 when
    none is asked for or it is installed already; ``size``, or else the size of ``binary_path`` on this host."""
    installed = {r["version"] for r in (release or {}).get("releases") or []}
    if not version or version in installed:
        return 0
    if size is not None:
        return size
    try:
        return os.stat(binary_path).st_size if binary_path else 0
    except OSError:
        return 0  # the runnable check names a binary that is not there


def _size(n):
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.0f} KiB"


def room_problems(room, release_root=None, release_bytes=0):
    """Why the host cannot take the run's writes (sentences): a path of ``room`` on a read-only file system, or
    fewer free bytes under ``release_root`` than a new release of ``release_bytes`` and go_release's record
    take. ``release_bytes`` 0: no release is written (it is installed already, or none is asked for)."""
    problems = []
    read_only = {}
    for path, fact in room.items():
        if fact and fact["read_only"]:
            read_only.setdefault(fact["dir"], []).append(path)
    for where, paths in read_only.items():
        problems.append(
            f"{where} is on a read-only file system, and this run writes {', '.join(sorted(paths))}: remount it"
            " read-write (or move go_service_base_dir / go_service_config_dir to a writable one)"
        )
    fact = room.get(release_root) if release_root else None
    need = release_bytes + RELEASE_SLACK_BYTES if release_bytes else 0
    if need and fact and not fact["read_only"] and fact["free_bytes"] < need:
        problems.append(
            f"{fact['dir']} has {_size(fact['free_bytes'])} free, and the new release of {release_root} needs"
            f" {_size(need)} (the binary and go_release's record): free some space there (older releases go with"
            " go_service_keep_releases), or give go_service_base_dir a larger file system"
        )
    return problems


def _release_with_snapshot(release_root):
    """``_release.release_facts``, with what the current release's snapshot recorded: ``probes``, the health and
    readiness URLs it was proven healthy on (None when it has none; what a rollback in this run proves it with),
    and ``snapshot_files``, the files it ran with (what an uninstall of a replaced service knows as its own)."""
    facts = release_facts(release_root)
    facts["probes"] = recorded_probes(release_root, facts.get("current"))
    facts["snapshot_files"] = recorded_files(release_root, facts.get("current"))
    return facts


def listening_peers(run, listen, own_unit):
    """``_listeners.socket_peers`` of systemd's socket units (``systemctl list-sockets --all``); None when
    systemctl fails."""
    try:
        rc, out, _err = run(["systemctl", "list-sockets", "--all", "--full", "--no-legend", "--no-pager"])
    except OSError:
        return None
    return socket_peers(listen, out, own_unit) if rc == 0 else None


def gather(
    run,
    release_root=None,
    paths=(),
    proc_root="/proc",
    user=None,
    group=None,
    unit=None,
    files=(),
    digest_key="",
    marker="",
    socket_listen="",
    socket_unit="",
):
    unit_read = unit_facts(run, unit) if unit else None
    release = _release_with_snapshot(release_root) if release_root else None
    if release is not None:
        # A main process older than the last switch of `current` runs the release before it: a run was
        # stopped between its switch and its restart (the next run restarts it).
        release["process_predates_switch"] = (
            started_before_switch(unit_read["main_started_monotonic"], Layout(release_root).current)
            if unit_read and release.get("current")
            else None
        )
    return {
        "ownership": ownership(list(dict.fromkeys([*files, *paths])), marker) if marker else None,
        "service_manager": service_manager(proc_root),
        "systemd_version": systemd_version(run),
        "release": release,
        "paths": path_facts(paths),
        "account": account_facts(user, group),
        "unit": unit_read,
        "files": {path: observe(path, digest_key) for path in files},
        "stale_backups": backups_of(files),
        "socket_peers": listening_peers(run, socket_listen, socket_unit) if socket_listen else None,
    }


#: What go_release and the role put in a release root (besides TEMP_PREFIX names).
_RELEASE_TREE_NAMES = frozenset(
    (RELEASES_DIR, STAGING_DIR, CURRENT_LINK, STATE_FILE, STATE_BACKUP_FILE, LOCK_FILE, SNAPSHOTS_DIR)
)

#: The unit states in which a replaced service holds what it had (its port, say).
_RUNNING_STATES = ("active", "activating", "reloading", "deactivating")


def replaced_service(name, facts, base_dir="/opt", config_dir="/etc", keep_user=None):
    """What the go_service role does about service ``name`` that another one replaces (``go_service_replaces``),
    from ``facts``, a ``gather`` result for it read with its layout's ``owned_paths`` and ``config_paths`` and the
    marker set. Returns ``name``, ``unit_name``, ``installed`` (anything of it is on the host), ``running`` (its
    unit is active or on its way: stop it before the new one starts), ``socket`` (it has a socket unit of its
    own), ``foreign`` (what of it the role did not
    write, as ``claims`` says: such a service is not the role's to remove), and what its uninstall needs: the
    ``layout`` with its config files (those its last healthy release ran with, from its snapshot) and the account
    to remove, ``user`` and ``group`` (its unit's, else the default, its name). The account is left out when it is
    ``keep_user``, the user the new service runs as."""
    unit = facts.get("unit") or {}
    release = facts.get("release") or {}
    env_dir = service_layout(name, base_dir, config_dir)["env_dir"]
    config_files = [
        path[len(env_dir) + 1 :] for path in release.get("snapshot_files") or () if path.startswith(env_dir + "/")
    ]
    user = unit.get("user") or name
    layout = service_layout(name, base_dir, config_dir, config_files, account=user != keep_user)
    loaded = unit.get("load_state") not in (None, "not-found")
    return {
        "name": name,
        "unit_name": layout["unit_name"],
        # Its data (the state directory) is not the service: an uninstall leaves it.
        "installed": loaded
        or any(there for path, there in (facts.get("paths") or {}).items() if path != layout["state_dir"]),
        "running": loaded and unit.get("active_state") in _RUNNING_STATES,
        # It listens through a socket unit of its own (socket activation): a socket-activated replacement on the
        # same address takes over beside it (ReusePort=) instead of stopping it first.
        "socket": bool((facts.get("paths") or {}).get(layout["socket"])),
        "foreign": claims(facts, layout)["foreign"],
        "layout": layout,
        "user": user,
        "group": unit.get("group") or user,
    }


def claims(facts, layout, health_watchdog=False, purge_data=False):
    """What of one service's layout on a host is the go_service role's, from what ``gather`` read.

    ``facts`` is a ``gather`` result read with the layout's paths in ``paths`` and ``files`` and the
    install marker set; ``layout`` maps LAYOUT_KEYS to paths. Returns:

    - ``foreign``: what is in the way of an install, each ``path (why)``: a path that exists and that the
      role did not write (a file without the marker, a release root without go_release's record, a
      configuration directory without the role's environment file), or a unit of that name that systemd
      loads from another file (the role's unit would shadow it). The health watchdog's units count only
      when ``health_watchdog`` is on (otherwise the role leaves them alone);
    - ``remove``: what an uninstall removes, in order: the marked files, a directory only when nothing but
      the role's file is in it, the release tree when its record is there, and the state directory (with
      ``purge_data``) only while the service's own unit or release tree is still there;
    - ``left``: what an uninstall leaves, each ``path (why)``;
    - ``unit_ours``: whether the unit file is the role's (an uninstall stops and disables only then);
    - ``remove_user`` and ``remove_group``: the service account an uninstall removes (None to keep it). With
      ``layout["account"]`` (the user, group, comment, home and shell the role creates) and ``facts`` read with
      that user and group: the user is removed when it is exactly the account the role creates (that comment,
      home and shell, password locked), its group when it is that user's primary group. Any other account is
      left, and named in ``left``;
    - ``account_ours``: whether that account exists exactly so, user and primary group (an install then has
      nothing to create or change).
    """
    missing = [key for key in LAYOUT_KEYS if not layout.get(key)]
    if missing:
        raise ValueError(f"the layout lacks {', '.join(missing)}")
    exists = facts.get("paths") or {}
    owner = facts.get("ownership") or {}
    marked = owner.get("marked") or {}
    entries = owner.get("entries") or {}
    release = facts.get("release") or {}
    unit = facts.get("unit") or {}

    def present(key):
        return bool(exists.get(layout[key]))

    def is_marked(key):
        return bool(marked.get(layout[key]))

    recorded = bool(release.get("recorded"))
    # A release root holding nothing but what go_release and the role's staging create (an install that
    # failed before go_release recorded anything) is the role's too.
    root_names = entries.get(layout["release_root"])
    root_ours = recorded or (
        root_names is not None
        and all(name in _RELEASE_TREE_NAMES or name.startswith(TEMP_PREFIX) for name in root_names)
    )
    unit_ours = is_marked("unit")
    # The role's unit names the environment file in EnvironmentFile=: beside that unit, the file is the
    # role's even when written before the file itself carried the marker.
    env_ours = is_marked("env_file") or (unit_ours and present("env_file"))
    foreign, remove, left = [], [], []

    not_written = "not written by gosvc.hardening.go_service"
    no_record = "it holds other files than go_release's and no release record .releases.json"
    if present("release_root") and not root_ours:
        foreign.append(f"{layout['release_root']} ({no_record})")
    if present("env_dir") and not env_ours:
        foreign.append(f"{layout['env_dir']} (it holds no environment file the role wrote)")
    files = ["unit", "dropin", "socket"] + (["health_service", "health_timer"] if health_watchdog else [])
    foreign.extend(f"{layout[key]} ({not_written})" for key in files if present(key) and not is_marked(key))
    fragment = unit.get("fragment_path")
    if fragment and fragment != layout["unit"]:
        foreign.append(f"{layout['unit_name']} (a unit of this host already, loaded from {fragment})")

    ours = {key: is_marked(key) for key in ("unit", "dropin", "socket", "health_service", "health_timer")}
    ours["env_file"] = env_ours
    for key, is_ours in ours.items():
        if is_ours:
            remove.append(layout[key])
        elif present(key):
            left.append(f"{layout[key]} ({not_written})")
    for dir_key, file_key in (("dropin_dir", "dropin"), ("env_dir", "env_file")):
        names = entries.get(layout[dir_key])
        if names is None:
            if present(dir_key):
                left.append(f"{layout[dir_key]} (not a directory)")
            continue
        # Beside the environment file, the config files the role writes (go_service_config_files) are its own.
        written = {os.path.basename(layout[file_key])} | set(
            layout.get("config_names") or () if dir_key == "env_dir" else ()
        )
        others = [name for name in names if name not in written]
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            left.append(f"{layout[dir_key]} (it holds files the role did not write: {shown})")
        elif ours[file_key] or (not names and (unit_ours or root_ours)):
            remove.append(layout[dir_key])
        else:
            left.append(f"{layout[dir_key]} (it holds no file the role wrote)")
    if root_ours and present("release_root"):
        remove.append(layout["release_root"])
    elif present("release_root"):
        left.append(f"{layout['release_root']} ({no_record})")
    if purge_data:
        if unit_ours or recorded:
            remove.append(layout["state_dir"])
        elif present("state_dir"):
            left.append(f"{layout['state_dir']} (go_service_purge_data removes it only with the service's own unit)")
    account = facts.get("account") or {}
    remove_user, remove_group = _account_claims(account, layout.get("account"), left)
    user, group = account.get("user"), account.get("group")
    return {
        "account_ours": bool(
            account_is_wanted(user, layout.get("account")) and group and group.get("gid") == user.get("gid")
        ),
        "foreign": foreign,
        "remove": remove,
        "left": left,
        "unit_ours": unit_ours,
        "remove_user": remove_user,
        "remove_group": remove_group,
    }


def account_is_wanted(user, wanted):
    """Whether ``user`` (account_facts' user entry) is the account go_service creates: ``wanted``'s comment,
    home and shell, and a locked password. An install then leaves it alone; an uninstall may remove it."""
    if not user or not wanted:
        return False
    signature = (user.get("comment"), user.get("home"), user.get("shell"), bool(user.get("password_locked")))
    return signature == (wanted["comment"], wanted["home"], wanted["shell"], True)


def _account_claims(account, wanted, left):
    """``(user or None, group or None)`` an uninstall removes; appends to ``left`` what it keeps, and why."""
    if not wanted:
        return None, None
    user, group = account.get("user"), account.get("group")
    remove_user = remove_group = None
    if user:
        if account_is_wanted(user, wanted):
            remove_user = user["name"]
        else:
            left.append(
                f"user {user['name']} (not the account go_service creates: comment {user.get('comment')!r},"
                f" home {user.get('home')}, shell {user.get('shell')})"
            )
    if group:
        if remove_user and group.get("gid") == user.get("gid"):
            remove_group = group["name"]
        else:
            if remove_user:
                why = f"not the primary group of user {remove_user}"
            elif user:
                why = f"the group of user {user['name']}, which go_service did not create"
            else:
                why = "without the service's user go_service cannot tell that it created it"
            left.append(f"group {group['name']} ({why})")
    return remove_user, remove_group


#: The options of gosvc.hardening.service_facts (its DOCUMENTATION describes them; one place for every module:
#: the module_utils file that implements it, see docs/architecture.md).
ARGUMENT_SPEC = dict(
    release_root=dict(type="path"),
    paths=dict(type="list", elements="path", default=[]),
    files=dict(type="list", elements="path", default=[]),
    digest_key=dict(type="str", default="", no_log=True),
    marker=dict(type="str", default=""),
    require_systemd=dict(type="bool", default=False),
    user=dict(type="str"),
    group=dict(type="str"),
    unit=dict(type="str"),
    binary_requirements=dict(type="dict"),
    binary_requirements_error=dict(type="str"),
    binary_path=dict(type="path"),
    binary_label=dict(type="str", default="the binary"),
    binary_origin=dict(type="path"),
    require_runnable=dict(type="bool", default=False),
    socket_listen=dict(type="str", default=""),
    socket_unit=dict(type="str", default=""),
    writes=dict(type="list", elements="path", default=[]),
    release_version=dict(type="str"),
    release_bytes=dict(type="int"),
    lease=dict(type="dict", options=dict(name=dict(type="str", required=True), **LEASE_OPTIONS)),
)
