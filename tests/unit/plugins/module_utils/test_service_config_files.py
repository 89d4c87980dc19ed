# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_service_config's file operations on a temporary directory: observe, plan, apply, ensure_dir and backups.

Files are owned by root, as on a target; the tests need root to set owners.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import time

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    OBSERVE_MAX_BYTES,
    ConfigError,
    FileSpec,
    Plan,
    apply,
    backup_entry,
    backup_path,
    backups_of,
    content_mac,
    ensure_dir,
    ids,
    observe,
    owner_of,
    plan,
)

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="sets owners like on a target")

KEY = "k" * 43
#: A uid and a gid that no account on the test host has.
NO_USER, NO_GROUP = 54321, 54322


def _unassigned():
    for lookup, number in ((pwd.getpwuid, NO_USER), (grp.getgrgid, NO_GROUP)):
        try:
            lookup(number)
        except KeyError:
            continue
        pytest.skip(f"{number} has an account on this host")


def write(path, content=b"[Unit]\n", mode=0o644):
    path.write_bytes(content)
    os.chown(path, 0, 0)
    os.chmod(path, mode)
    return str(path)


def swap_after_lstat(monkeypatch, path, swap):
    """Run ``swap()`` right after the first os.lstat of ``path``: a change that lands between two reads."""
    real = os.lstat
    done = []

    def lstat(target, *args, **kwargs):
        info = real(target, *args, **kwargs)
        if not done and os.fspath(target) == str(path):
            done.append(True)
            swap()
        return info

    monkeypatch.setattr(os, "lstat", lstat)


# -- observe ---------------------------------------------------------------------------------------


def test_observe_describes_a_file_and_hashes_it_only_under_a_key(tmp_path):
    """observe gives type, owner, group and mode; an HMAC only when a key is given."""
    path = write(tmp_path / "demo.env", b"A=1\n", 0o640)
    facts = {"exists": True, "type": "file", "owner": "root", "group": "root", "mode": "0640"}
    assert observe(path) == facts
    assert observe(path, KEY) == dict(facts, hmac=content_mac(KEY, b"A=1\n"))


def test_observe_a_path_it_cannot_read_is_unknown(tmp_path):
    """A path observe cannot stat reads as unknown, with the reason."""
    path = write(tmp_path / "file")
    assert observe(os.path.join(path, "child"), KEY) == {"exists": None, "error": "Not a directory"}


def test_observe_hashes_files_up_to_the_cap_and_no_larger(tmp_path):
    """A file of OBSERVE_MAX_BYTES is hashed whole; a larger one is described without an HMAC."""
    content = os.urandom(OBSERVE_MAX_BYTES)
    assert observe(write(tmp_path / "cap", content), KEY)["hmac"] == content_mac(KEY, content)
    larger = observe(write(tmp_path / "larger", content + b"x"), KEY)
    assert larger["exists"] is True and "hmac" not in larger


def test_observe_never_reads_a_file_that_grows_past_the_cap_whole(tmp_path, monkeypatch):
    """A file that grows past OBSERVE_MAX_BYTES while observed is never read (nor hashed) whole."""
    path = write(tmp_path / "demo.env", b"A=1\n")
    grown = b"A=1\n" + os.urandom(OBSERVE_MAX_BYTES - 2)  # the cap and two bytes

    def grow():
        with open(path, "ab") as handle:
            handle.write(grown[4:])

    swap_after_lstat(monkeypatch, path, grow)
    seen = observe(path, KEY)
    assert seen.get("hmac") != content_mac(KEY, grown)


def test_observe_and_owner_of_name_an_owner_without_an_account_by_number(tmp_path):
    """An owner or group without an account is named by its number."""
    _unassigned()
    path = write(tmp_path / "orphan", mode=0o600)
    os.chown(path, NO_USER, NO_GROUP)
    seen = observe(path)
    assert (seen["owner"], seen["group"], seen["mode"]) == (str(NO_USER), str(NO_GROUP), "0600")
    assert owner_of(path) == (str(NO_USER), str(NO_GROUP), 0o600)


def test_observe_a_file_replaced_while_it_is_read_is_unknown(tmp_path, monkeypatch):
    """A file replaced between observe's stat and its read is unknown, never hashed."""
    path = write(tmp_path / "demo.env")
    other = write(tmp_path / "other", b"B=2\n")
    swap_after_lstat(monkeypatch, path, lambda: os.replace(other, path))
    assert observe(path, KEY) == {"exists": None, "error": "changed while it was read"}


def test_observe_never_follows_a_link_put_in_place_of_the_file(tmp_path, monkeypatch):
    """A symbolic link put where the file was is not followed: the path reads as unknown."""
    path = write(tmp_path / "demo.env")
    target = write(tmp_path / "target", b"B=2\n")

    def swap():
        os.unlink(path)
        os.symlink(target, path)

    swap_after_lstat(monkeypatch, path, swap)
    assert observe(path, KEY) == {"exists": None, "error": "Too many levels of symbolic links"}


def test_observe_does_not_block_on_a_fifo_put_in_place_of_the_file(tmp_path, monkeypatch):
    """A FIFO put where the file was does not block observe: the path reads as unknown."""
    path = write(tmp_path / "demo.env")

    def swap():
        os.unlink(path)
        os.mkfifo(path)

    swap_after_lstat(monkeypatch, path, swap)
    assert observe(path, KEY) == {"exists": None, "error": "changed while it was read"}


# -- plan and apply --------------------------------------------------------------------------------


def test_plan_names_a_path_it_cannot_stat(tmp_path):
    """plan fails with the path and the reason when the path cannot be examined."""
    path = os.path.join(write(tmp_path / "file"), "demo.service")
    with pytest.raises(ConfigError) as caught:
        plan(FileSpec("unit", path, b"[Unit]\n"))
    assert str(caught.value) == f"cannot read {path}: Not a directory"


def test_plan_names_a_file_it_cannot_read():
    """plan fails with the path and the reason when a regular file cannot be read."""
    with pytest.raises(ConfigError) as caught:
        plan(FileSpec("unit", "/proc/self/mem", b"[Unit]\n"))
    assert str(caught.value) == "cannot read /proc/self/mem: Input/output error"


def test_apply_of_an_unchanged_file_reports_nothing_done(tmp_path):
    """A file already as wanted is reported unchanged, not created and not removed."""
    path = write(tmp_path / "demo.service")
    record = apply(plan(FileSpec("unit", path, b"[Unit]\n")), backup=True)
    assert record == {"path": path, "changed": False, "content_changed": False, "created": False, "removed": False}
    assert sorted(os.listdir(tmp_path)) == ["demo.service"]


def test_apply_tells_a_content_change_from_a_mode_change(tmp_path):
    """The record says whether the content changed: a mode put right is a change, but not one a service re-reads."""
    path = write(tmp_path / "app.yml", mode=0o600)
    mode_only = apply(plan(FileSpec("config:app.yml", path, b"[Unit]\n", mode=0o640)), backup=True)
    assert (mode_only["changed"], mode_only["content_changed"]) == (True, False)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    content = apply(plan(FileSpec("config:app.yml", path, b"level: debug\n", mode=0o640)), backup=True)
    assert (content["changed"], content["content_changed"]) == (True, True)


def test_apply_writes_through_a_hidden_temporary_file_beside_the_target(tmp_path, monkeypatch):
    """New content is written under a hidden name in the target's directory, then renamed over it."""
    path = write(tmp_path / "demo.service")
    seen = []
    real = os.fsync

    def fsync(fd):
        seen.extend(sorted(os.listdir(tmp_path)))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    record = apply(plan(FileSpec("unit", path, b"[Unit]\nX=1\n")), backup=False)
    assert record == {"path": path, "changed": True, "content_changed": True, "created": False, "removed": False}
    (temporary,) = [name for name in seen if name != "demo.service"]
    assert temporary.startswith(".demo.service.")
    assert sorted(os.listdir(tmp_path)) == ["demo.service"]


def test_apply_writes_on_a_file_system_other_than_the_temporary_directory(tmp_path):
    """A file outside the system's temporary directory's file system is still replaced in one rename."""
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary directory")
    directory = os.path.join(shm, f"gosvc-config-test-{os.getpid()}")
    os.mkdir(directory)
    try:
        path = os.path.join(directory, "demo.service")
        record = apply(plan(FileSpec("unit", path, b"[Unit]\n")), backup=False)
        assert record["created"] is True
        with open(path, "rb") as handle:
            assert handle.read() == b"[Unit]\n"
        assert os.listdir(directory) == ["demo.service"]
    finally:
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
        os.rmdir(directory)


def test_apply_that_cannot_write_names_the_path_and_leaves_no_temporary_file(tmp_path):
    """A write that fails names the path and the reason, and leaves no temporary file behind."""
    path = str(tmp_path / "demo.service")
    planned = plan(FileSpec("unit", path, b"[Unit]\n"))
    os.mkdir(path)  # put in the way after the plan
    (tmp_path / "demo.service" / "keep").write_bytes(b"")
    with pytest.raises(ConfigError) as caught:
        apply(planned, backup=False)
    assert str(caught.value) == f"cannot write {path}: Is a directory"
    assert sorted(os.listdir(tmp_path)) == ["demo.service"]


def test_a_backup_entry_restores_owner_group_and_mode():
    """A backup entry carries what a rollback needs: destination, backup file, owner, group and mode."""
    spec = FileSpec("env", "/etc/demo/demo.env", b"A=1\n")
    entry = backup_entry({"backup_file": "/etc/demo/demo.env.1.x~"}, spec, 0o640, "root", "demo")
    assert entry == {
        "dest": "/etc/demo/demo.env",
        "backup_file": "/etc/demo/demo.env.1.x~",
        "owner": "root",
        "group": "demo",
        "mode": "0640",
    }


def test_a_backup_is_named_as_ansible_names_template_backups(monkeypatch):
    """A backup's name is <path>.<pid>.<local time as %Y-%m-%d@%H:%M:%S>~."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert backup_path("/etc/demo/demo.env", 86399) == f"/etc/demo/demo.env.{os.getpid()}.1970-01-01@23:59:59~"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_backups_left_beside_the_managed_files_are_found_and_nothing_else(tmp_path):
    """What backup_path names, for the files given, in their directories; other files that look alike are not."""
    etc, unit = tmp_path / "etc" / "demo", tmp_path / "systemd"
    etc.mkdir(parents=True)
    unit.mkdir()
    env, service = etc / "demo.env", unit / "demo.service"
    left = [backup_path(str(env)), f"{service}.4242.2026-12-06@09:23:01~"]
    for path in [env, service, *left]:
        open(path, "w").close()
    # Not backups of these files: another file's, an editor's, a half name, another service's.
    for name in ["demo.env~", "demo.env.bak", "demo.env.42.2026-12-06~", "other.env.42.2026-12-06@09:23:01~"]:
        open(etc / name, "w").close()
    open(unit / "demo.service.d.7.2026-12-06@09:23:01~", "w").close()
    open(unit / "demo2.service.7.2026-12-06@09:23:01~", "w").close()
    assert backups_of([str(env), str(service), str(tmp_path / "missing" / "x.conf")]) == sorted(left)
    assert backups_of([]) == []


# -- owners and directories ------------------------------------------------------------------------


def test_an_unknown_owner_is_named():
    """An owner without an account fails with its name."""
    with pytest.raises(ConfigError) as caught:
        ids("no-such-user-gosvc", "root")
    assert str(caught.value) == "user 'no-such-user-gosvc' does not exist"


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_ensure_dir_creates_missing_parents_0755_whatever_the_umask(tmp_path, umask):
    """Missing parents of a managed directory are created 0755, whatever the umask."""
    path = tmp_path / "etc" / "gosvc" / "demo"
    old = os.umask(umask)
    try:
        assert ensure_dir(str(path), "root", "root", 0o750, check_mode=False) is True
    finally:
        os.umask(old)
    for parent in (tmp_path / "etc", tmp_path / "etc" / "gosvc"):
        assert stat.S_IMODE(os.stat(parent).st_mode) == 0o755, parent
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o750


def test_ensure_dir_creates_a_relative_path_under_the_working_directory(tmp_path, monkeypatch):
    """A relative directory is created, with its missing parents, under the working directory."""
    monkeypatch.chdir(tmp_path)
    assert ensure_dir(os.path.join("conf", "demo"), "root", "root", 0o750, check_mode=False) is True
    assert stat.S_IMODE(os.stat(tmp_path / "conf").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "conf" / "demo").st_mode) == 0o750


def test_ensure_dir_in_check_mode_reports_a_missing_directory_and_creates_nothing(tmp_path):
    """In check mode a missing directory is a change, and nothing is created."""
    path = tmp_path / "etc" / "demo"
    assert ensure_dir(str(path), "root", "root", 0o750, check_mode=True) is True
    assert not (tmp_path / "etc").exists()


def test_ensure_dir_corrects_owner_and_mode_unless_in_check_mode(tmp_path):
    """A directory with another owner or mode is a change: corrected, or in check mode only reported."""
    _unassigned()
    path = tmp_path / "demo"
    path.mkdir()
    os.chown(path, NO_USER, NO_GROUP)
    os.chmod(path, 0o700)
    assert ensure_dir(str(path), "root", "root", 0o750, check_mode=True) is True
    assert owner_of(str(path)) == (str(NO_USER), str(NO_GROUP), 0o700)
    assert ensure_dir(str(path), "root", "root", 0o750, check_mode=False) is True
    assert owner_of(str(path)) == ("root", "root", 0o750)
    assert ensure_dir(str(path), "root", "root", 0o750, check_mode=False) is False


def test_ensure_dir_with_an_owner_not_created_yet(tmp_path):
    """An owner without an account is a change in check mode (the account phase creates it), else an error."""
    path = tmp_path / "demo"
    path.mkdir()
    assert ensure_dir(str(path), "no-such-user-gosvc", "root", 0o750, check_mode=True) is True
    with pytest.raises(ConfigError, match="user 'no-such-user-gosvc' does not exist"):
        ensure_dir(str(path), "no-such-user-gosvc", "root", 0o750, check_mode=False)


def test_ensure_dir_names_a_file_in_the_way(tmp_path):
    """A file where a directory must be is named, with the fix."""
    path = write(tmp_path / "demo")
    with pytest.raises(ConfigError) as caught:
        ensure_dir(path, "root", "root", 0o750, check_mode=False)
    assert str(caught.value) == f"{path} exists but is not a directory; remove it or choose another path"


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_a_new_directory_is_never_more_open_than_its_mode(tmp_path, monkeypatch, umask):
    """New directories (the one for secrets and its parents) are never more open than their mode, not even briefly."""
    path = tmp_path / "etc" / "demo"
    seen = {}

    def record(real):
        def hooked(target, *args, **kwargs):
            seen.setdefault(os.fspath(target), stat.S_IMODE(os.stat(target).st_mode))
            return real(target, *args, **kwargs)

        return hooked

    monkeypatch.setattr(os, "chown", record(os.chown))
    monkeypatch.setattr(os, "chmod", record(os.chmod))
    old = os.umask(umask)
    try:
        assert ensure_dir(str(path), "root", "root", 0o750, check_mode=False) is True
    finally:
        os.umask(old)
    assert seen == {str(tmp_path / "etc"): 0o755, str(path): 0o750}


def test_plan_compares_and_changes_nothing(tmp_path):
    """plan reports what differs (content, attributes) for wanted, unwanted, present and absent files."""
    absent = str(tmp_path / "absent.conf")
    present = write(tmp_path / "present.conf", b"old\n", 0o600)
    cases = [
        (FileSpec("x", absent, b"new\n"), (False, None, True, False)),
        (FileSpec("x", absent, None), (False, None, False, False)),
        (FileSpec("x", present, None), (True, b"old\n", True, False)),
        (FileSpec("x", present, b"old\n"), (True, b"old\n", False, True)),
        (FileSpec("x", present, b"old\n", mode=0o600), (True, b"old\n", False, False)),
    ]
    for spec, (exists, before, content_changed, attrs_changed) in cases:
        found = plan(spec)
        assert (found.exists, found.before, found.content_changed, found.attrs_changed) == (
            exists,
            before,
            content_changed,
            attrs_changed,
        ), spec
    assert sorted(os.listdir(tmp_path)) == ["present.conf"]
    assert apply(plan(FileSpec("x", absent, None)), backup=True) == {
        "path": absent,
        "changed": False,
        "content_changed": False,
        "created": False,
        "removed": False,
    }


def test_plan_outside_check_mode_refuses_an_owner_without_an_account(tmp_path):
    """Outside check mode, an owner without an account is an error naming it."""
    path = write(tmp_path / "demo.conf")
    with pytest.raises(ConfigError, match="user 'no-such-user-gosvc' does not exist"):
        plan(FileSpec("x", path, b"[Unit]\n", owner="no-such-user-gosvc"))
    spec = FileSpec("x", path, b"[Unit]\n", owner="no-such-user-gosvc")
    assert plan(spec, check_mode=True) == Plan(spec, True, b"[Unit]\n", False, True)
