# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_facts: the host facts go_service reads in one call, on real release trees built by go_release."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from support import install_release_tree

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_facts as f
from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    ReleaseError,
    install_release,
    rollback_release,
)


def _install(root, version, content, tmp_path):
    return install_release_tree(root, version, content, tmp_path)


def test_release_facts_of_a_missing_root(tmp_path):
    facts = f.release_facts(str(tmp_path / "absent"))
    assert facts == {
        "root": str(tmp_path / "absent"),
        "exists": False,
        "recorded": False,
        "current": None,
        "releases": [],
        "switched_from": None,
        "error": None,
    }


def test_release_facts_follow_installs_and_rollback(tmp_path):
    root = tmp_path / "opt" / "demo"
    d1 = _install(root, "1.0.0", b"one", tmp_path)
    d2 = _install(root, "2.0.0", b"two", tmp_path)
    facts = f.release_facts(str(root))
    assert facts["exists"] and facts["error"] is None
    assert facts["current"] == "2.0.0"
    assert [(r["version"], r["sha256"]) for r in facts["releases"]] == [("1.0.0", d1), ("2.0.0", d2)]
    assert facts["switched_from"] == "1.0.0"

    rollback_release({"root": str(root), "version": None, "lock_timeout": 5}, check_mode=False)
    assert f.release_facts(str(root))["current"] == "1.0.0"


def test_a_record_written_before_binary_name_was_kept_is_still_read(tmp_path):
    """Facts do not need the binary's name: an older record without it is read, not refused."""
    root = tmp_path / "demo"
    _install(root, "1.0.0", b"one", tmp_path)
    record = root / ".releases.json"
    document = json.loads(record.read_text())
    for release in document["releases"]:
        del release["binary_name"]
    record.write_text(json.dumps(document))
    facts = f.release_facts(str(root))
    assert facts["error"] is None
    assert facts["switched_from"] == document.get("switched_from")


def test_a_release_whose_binary_is_gone_is_not_reported_installed(tmp_path):
    root = tmp_path / "demo"
    _install(root, "1.0.0", b"one", tmp_path)
    (root / "releases" / "1.0.0" / "demo").unlink()
    facts = f.release_facts(str(root))
    assert facts["releases"] == []
    assert facts["current"] is None


def test_a_tree_go_release_would_refuse_is_reported_not_raised(tmp_path):
    root = tmp_path / "demo"
    root.mkdir()
    (root / ".releases.json").write_text("{not json")
    facts = f.release_facts(str(root))
    assert facts["error"] and ".releases.json is not valid JSON" in facts["error"]
    assert facts["releases"] == [] and facts["current"] is None

    (root / ".releases.json").write_text(json.dumps({"format": 1, "releases": []}))
    (root / "current").mkdir()
    assert "not the symbolic link" in f.release_facts(str(root))["error"]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ((0, "systemd 252 (252.39-1~deb12u2)\n+PAM +AUDIT\n", ""), 252),
        ((0, "systemd 247 (247.3-7+deb11u6)\n", ""), 247),
        ((1, "", "Failed to connect to bus"), None),
        ((0, "not systemd at all\n", ""), None),
    ],
)
def test_systemd_version(result, expected):
    calls = []

    def run(argv):
        calls.append(argv)
        return result

    assert f.systemd_version(run) == expected
    assert calls == [["systemctl", "--version"]]


def test_systemd_version_without_systemctl():
    def run(argv):
        raise FileNotFoundError(argv[0])

    assert f.systemd_version(run) is None


def test_service_manager_reads_pid_1(tmp_path):
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "comm").write_text("systemd\n")
    assert f.service_manager(str(tmp_path)) == "systemd"
    (tmp_path / "1" / "comm").write_text("tini\n")
    assert f.service_manager(str(tmp_path)) == "tini"
    assert f.service_manager(str(tmp_path / "nowhere")) is None


def test_path_facts_count_dangling_links(tmp_path):
    (tmp_path / "file").write_text("x")
    os.symlink(tmp_path / "gone", tmp_path / "dangling")
    paths = [str(tmp_path / n) for n in ("file", "dangling", "missing")]
    assert f.path_facts(paths) == dict(zip(paths, [True, True, False]))


def test_go_release_reinstalls_an_installed_release_without_src(tmp_path):
    """A re-run that skipped the upload: go_release re-hashes the installed binary instead of the staged one."""
    root = tmp_path / "demo"
    digest = _install(root, "1.0.0", b"one", tmp_path)
    params = {
        "root": str(root),
        "version": "1.0.0",
        "src": None,
        "checksum": "sha256:" + digest,
        "binary_name": "demo",
        "owner": str(os.getuid()),
        "group": str(os.getgid()),
    }
    assert install_release(params, check_mode=False)["changed"] is False

    with pytest.raises(ReleaseError, match="releases are immutable"):
        install_release(dict(params, checksum="sha256:" + hashlib.sha256(b"other").hexdigest()), check_mode=False)
    with pytest.raises(ReleaseError, match=r"state=present while release 2\.0\.0 is not installed"):
        install_release(dict(params, version="2.0.0"), check_mode=False)
    with pytest.raises(ReleaseError, match="src is required"):
        install_release(dict(params, root=str(tmp_path / "fresh")), check_mode=False)
    assert not (tmp_path / "fresh").exists()

    (root / "releases" / "1.0.0" / "demo").chmod(0o755)
    (root / "releases" / "1.0.0" / "demo").write_bytes(b"tampered")
    with pytest.raises(ReleaseError, match="was modified after it was installed"):
        install_release(params, check_mode=False)


def test_account_facts_of_the_running_user_and_a_missing_one(tmp_path):
    import grp
    import pwd

    me = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid())
    shadow = tmp_path / "shadow"
    shadow.write_text(f"other:$6$hash:1::::::\n{me.pw_name}:!:19000:0:99999:7:::\n")
    facts = f.account_facts(me.pw_name, group.gr_name, shadow_path=str(shadow))
    assert facts["user"] == {
        "name": me.pw_name,
        "uid": me.pw_uid,
        "gid": me.pw_gid,
        "home": me.pw_dir,
        "shell": me.pw_shell,
        "comment": me.pw_gecos,
        "password_locked": True,
    }
    assert facts["group"] == {"name": group.gr_name, "gid": group.gr_gid}
    shadow.write_text(f"{me.pw_name}:$6$somehash:19000:0:99999:7:::\n")
    facts = f.account_facts(me.pw_name, None, shadow_path=str(shadow))
    assert facts["user"]["password_locked"] is False and facts["group"] is None
    # never a hash, and unknown when the shadow file cannot be read
    assert "$6$" not in json.dumps(facts)
    assert f.account_facts(me.pw_name, shadow_path=str(tmp_path / "none"))["user"]["password_locked"] is None
    assert f.account_facts("no-such-user-gosvc", "no-such-group-gosvc") == {"user": None, "group": None}


def test_unit_facts_from_systemctl_show():
    out = (
        "LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nNeedDaemonReload=no\n"
        "NRestarts=2\nExecMainStartTimestampMonotonic=5123456789\nFragmentPath=/etc/systemd/system/demo.service\nUser=demo\nGroup=\n"
    )
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, out, ""

    assert f.unit_facts(run, "demo.service") == {
        "name": "demo.service",
        "load_state": "loaded",
        "active_state": "active",
        "sub_state": "running",
        "unit_file_state": "enabled",
        "need_daemon_reload": False,
        "n_restarts": 2,
        "main_started_monotonic": 5123.456789,
        "fragment_path": "/etc/systemd/system/demo.service",
        "user": "demo",
        # Group= empty: the user's primary group (None, as for User= empty: root).
        "group": None,
    }
    assert calls == [
        [
            "systemctl",
            "show",
            "--property=LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,NRestarts,"
            "ExecMainStartTimestampMonotonic,FragmentPath,User,Group",
            "--",
            "demo.service",
        ]
    ]
    missing = "LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nNeedDaemonReload=no\n"
    facts = f.unit_facts(lambda argv: (0, missing, ""), "gone.service")
    assert facts["load_state"] == "not-found" and facts["unit_file_state"] is None and facts["fragment_path"] is None
    # systemd older than 235 has no NRestarts; no ExecMainStartTimestampMonotonic (or 0): no process
    assert facts["n_restarts"] is None
    assert facts["main_started_monotonic"] is None
    stopped = missing + "ExecMainStartTimestampMonotonic=0\n"
    assert f.unit_facts(lambda argv: (0, stopped, ""), "gone.service")["main_started_monotonic"] is None
    assert f.unit_facts(lambda argv: (1, "", "Failed to connect to bus"), "demo.service") is None


def test_listening_peers_asks_systemd_for_every_socket_unit():
    calls = []
    out = "127.0.0.1:80  old.socket  old.service\n127.0.0.1:80  demo.socket  demo.service\n/run/x  x.socket  -\n"

    def run(argv):
        calls.append(argv)
        return 0, out, ""

    assert f.listening_peers(run, "127.0.0.1:80", "demo.socket") == [
        {"listen": "127.0.0.1:80", "unit": "old.socket", "activates": "old.service"}
    ]
    assert calls == [["systemctl", "list-sockets", "--all", "--full", "--no-legend", "--no-pager"]]


@pytest.mark.parametrize("outcome", [(1, "", "Failed to connect to bus"), FileNotFoundError("systemctl")])
def test_listening_peers_unknown_when_systemctl_cannot_list(outcome):
    def run(argv):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert f.listening_peers(run, "80", "demo.socket") is None


class _Clock:
    """time.time() and time.monotonic() 1,000,000 s apart, as on a host up for about 11.6 days."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now

    def monotonic(self):
        return self.now - 1_000_000.0


@pytest.mark.parametrize(
    ("started_ago", "switched_ago", "expected"),
    [
        # Started an hour ago, switched a minute ago: the process runs the release before the switch.
        (3600.0, 60.0, True),
        # Restarted after the switch (a run's switch, then its restart): current.
        (50.0, 60.0, False),
        (60.0, 60.5, False),
        # Started within the margin before the switch: not told apart, taken as current.
        (60.5, 60.0, False),
        (61.5, 60.0, True),
    ],
)
def test_a_process_that_started_before_current_was_switched(tmp_path, started_ago, switched_ago, expected):
    now = 2_000_000_000.0
    link = tmp_path / "current"
    link.symlink_to("releases/2.0.0")
    os.utime(link, (now - switched_ago, now - switched_ago), follow_symlinks=False)
    clock = _Clock(now)
    started = clock.monotonic() - started_ago
    assert f.started_before_switch(started, str(link), clock=clock) is expected


def test_no_process_or_no_current_is_unknown(tmp_path):
    assert f.started_before_switch(None, str(tmp_path / "current")) is None
    assert f.started_before_switch(5123.4, str(tmp_path / "current")) is None
