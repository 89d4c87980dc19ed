# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for module_utils/_release.py, run directly on real directory trees.

Staged binaries are real files with random content; their expected digests come
from the real ``sha256sum`` tool, never from the code under test.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import threading

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _release
from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    CurrentLink,
    Layout,
    Release,
    ReleaseError,
    RootLock,
    State,
    check_name,
    check_root,
    current_status,
    install_release,
    natural_key,
    parse_checksum,
    parse_mode,
    place_binary,
    read_current,
    read_state,
    resolve_group,
    resolve_owner,
    rollback_release,
    rollback_target,
    switch_current,
)

pytestmark = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is required")


def sha256sum(path):
    out = subprocess.run(["sha256sum", "--", str(path)], check=True, capture_output=True, text=True).stdout
    return out.split()[0]


def stage(root, tmp_path, size=20_000):
    """Write a random binary, hash it with sha256sum and stage it as <root>/.staging/<sha256>."""
    scratch = tmp_path / f"build-{os.urandom(4).hex()}"
    scratch.write_bytes(os.urandom(size))
    digest = sha256sum(scratch)
    staging = root / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    dest = staging / digest
    os.replace(scratch, dest)
    return str(dest), digest


def params(root, version, src, digest, **extra):
    values = dict(
        root=str(root),
        version=version,
        src=src,
        checksum=f"sha256:{digest}",
        binary_name="demo",
        owner="root",
        group="root",
        mode="0755",
        keep=3,
        switch=True,
        lock_timeout=5,
    )
    values.update(extra)
    return values


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "srv"
    path.mkdir()
    return path


# --- input validation ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1.4.2", "v1.4.2", "2024-01-05", "1.4.2+build.7", "1.0.0~rc1", "A_1"])
def test_check_name_accepts(value):
    assert check_name(value, "version", "1.4.2") == value


@pytest.mark.parametrize(
    "value",
    ["", "../x", "a/b", ".hidden", "..", "-rf", "1.0 beta", "x" * 129, "v\x00", ".go_release.bin"],
)
def test_check_name_refuses(value):
    with pytest.raises(ReleaseError, match="version"):
        check_name(value, "version", "1.4.2")


def test_check_root_relative_and_slash():
    with pytest.raises(ReleaseError, match="not an absolute path"):
        check_root("opt/demo")
    with pytest.raises(ReleaseError, match="root is /"):
        check_root("//")
    assert check_root("/opt/demo/") == "/opt/demo"


def test_parse_checksum_refuses_sha512_and_accepts_bare_hex(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    digest = sha256sum(path)
    assert parse_checksum(digest.upper()).digest == digest
    sha512 = subprocess.run(["sha512sum", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]
    with pytest.raises(ReleaseError, match="is a sha512 digest; give the sha256 digest"):
        parse_checksum(f"sha512:{sha512}")
    with pytest.raises(ReleaseError, match="checksum is required"):
        parse_checksum(None)
    with pytest.raises(ReleaseError, match="not a hexadecimal digest"):
        parse_checksum("sha256:" + "z" * 64)


@pytest.mark.parametrize(
    ("value", "expected"), [("0755", 0o755), ("755", 0o755), ("0o750", 0o750), (493, 0o755), ("0500", 0o500)]
)
def test_parse_mode(value, expected):
    assert parse_mode(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4755", "setuid, setgid or sticky"),
        ("0777", "lets every user write"),
        ("rwxr-xr-x", "not an octal file mode"),
        ("0855", "not an octal file mode"),
        (True, "not a file mode"),
        (0o17777, "out of range"),
    ],
)
def test_parse_mode_refuses(value, message):
    with pytest.raises(ReleaseError, match=message):
        parse_mode(value)


def test_resolve_owner_and_group():
    assert resolve_owner("root") == 0
    assert resolve_group("root") == 0
    assert resolve_owner("65534") == 65534
    with pytest.raises(ReleaseError, match="owner 'no-such-user-gosvc' is not a user on this host"):
        resolve_owner("no-such-user-gosvc")
    with pytest.raises(ReleaseError, match="group 'no-such-group-gosvc' is not a group on this host"):
        resolve_group("no-such-group-gosvc")


def test_natural_key_orders_version_numbers():
    versions = ["1.10.0", "1.9.0", "1.9.0-rc1", "0.1.0", "1.2.0"]
    assert sorted(versions, key=natural_key) == ["0.1.0", "1.2.0", "1.9.0", "1.9.0-rc1", "1.10.0"]


# --- state file and current link --------------------------------------------------------------


def test_read_state_missing_is_empty(root):
    state, existed = read_state(Layout(str(root)))
    assert (state, existed) == (State([], None, None), False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[" * 100000, "is not valid JSON"),
        ('{"format": 2, "releases": []}', "format 1"),
        ('{"format": 1, "releases": {}}', "'releases' must be a list"),
        ('{"format": 1, "releases": [{"version": "../x", "sha256": "' + "a" * 64 + '"}]}', "not a release name"),
        ('{"format": 1, "releases": [{"version": "1", "sha256": "abc"}]}', "not 64 lowercase hex"),
        (
            '{"format": 1, "releases": [{"version": "1", "sha256": "'
            + "a" * 64
            + '", "binary_name": "d"}, {"version": "1", "sha256": "'
            + "b" * 64
            + '", "binary_name": "d"}]}',
            "listed twice",
        ),
    ],
)
def test_read_state_refuses_bad_files(root, content, message):
    (root / ".releases.json").write_text(content)
    with pytest.raises(ReleaseError, match=message) as caught:
        read_state(Layout(str(root)), "demo")
    assert "put back" in str(caught.value) and ".releases.json.previous (the record before its last change)" in str(
        caught.value
    )
    assert "it then prunes nothing and warns" in str(caught.value)


def test_read_state_without_binary_name_needs_a_hint(root):
    (root / ".releases.json").write_text(
        json.dumps({"format": 1, "releases": [{"version": "1.0.0", "sha256": "a" * 64, "installed_at": None}]})
    )
    with pytest.raises(ReleaseError, match="give binary_name"):
        read_state(Layout(str(root)))
    state, _existed = read_state(Layout(str(root)), "demo")
    assert state.releases == [Release("1.0.0", "a" * 64, None, "demo")]


def test_read_current_forms(root):
    layout = Layout(str(root))
    assert read_current(layout) == CurrentLink(None, None)
    os.symlink("releases/1.0.0", root / "current")
    assert read_current(layout) == CurrentLink("releases/1.0.0", "1.0.0")
    (root / "current").unlink()
    os.symlink(f"{root}/releases/2.0.0/", root / "current")
    assert read_current(layout).version == "2.0.0"
    (root / "current").unlink()
    os.symlink("/usr/local/bin", root / "current")
    link = read_current(layout)
    assert link.version is None
    assert current_status(link, {}) == "foreign"
    assert current_status(CurrentLink("releases/9", "9"), {}) == "dangling"
    (root / "current").unlink()
    (root / "current").mkdir()
    with pytest.raises(ReleaseError, match="is a directory, not the symbolic link"):
        read_current(layout)


def test_rollback_target_prefers_the_release_before_the_last_switch():
    releases = [Release(v, "a" * 64, None, "demo") for v in ("1", "2", "3", "4")]
    # current 3 after a switch from 1 (4 was staged with switch=false): back to 1, not to the newer 4.
    assert rollback_target(releases, "3", "1") == "1"
    # no record of the switch: the release installed just before the current one.
    assert rollback_target(releases, "3", None) == "2"
    assert rollback_target(releases, "1", None) is None
    assert rollback_target(releases, None, "2") is None
    # a recorded previous release that is no longer installed falls back to the install order.
    assert rollback_target(releases, "4", "0.9") == "3"


# --- atomic operations -------------------------------------------------------------------------


def test_switch_is_one_rename_and_current_never_disappears(root, monkeypatch):
    (root / "releases" / "1").mkdir(parents=True)
    (root / "releases" / "2").mkdir()
    layout = Layout(str(root))
    current = str(root / "current")
    real_unlink, real_remove = os.unlink, os.remove

    def guarded(real):
        def wrapper(path, *args, **kwargs):
            if os.path.abspath(os.fspath(path)) == current:
                raise AssertionError("current was unlinked: the switch must be a rename")
            return real(path, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(os, "unlink", guarded(real_unlink))
    monkeypatch.setattr(os, "remove", guarded(real_remove))

    switch_current(layout, "1")
    first = os.lstat(current).st_ino
    missing = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            if not os.path.lexists(current):
                missing.append(True)

    watcher = threading.Thread(target=watch)
    watcher.start()
    inodes = [first]
    try:
        for number in range(200):
            switch_current(layout, "2" if number % 2 == 0 else "1")
            inodes.append(os.lstat(current).st_ino)
    finally:
        stop.set()
        watcher.join()
    assert missing == []
    assert os.readlink(current) == "releases/1"
    # every switch puts a new link (a new inode) in place; the old one is only freed by the rename.
    assert all(before != after for before, after in zip(inodes, inodes[1:]))
    assert not [name for name in os.listdir(root) if name.startswith(".go_release.")]


def test_place_binary_hard_links_and_sets_attributes(root, tmp_path):
    src, digest = stage(root, tmp_path)
    release = root / "releases" / "1"
    release.mkdir(parents=True)
    method = place_binary(src, str(release), "demo", parse_checksum(digest), 0, 0, 0o750)
    assert method == "hardlink"
    info = os.stat(release / "demo")
    assert info.st_ino == os.stat(src).st_ino
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (0, 0, 0o750)
    assert sorted(os.listdir(release)) == ["demo"]


def test_place_binary_copies_across_file_systems(tmp_path):
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the test directory")
    staging = os.path.join(shm, f"gosvc-release-test-{os.getpid()}")
    os.mkdir(staging)
    try:
        src = os.path.join(staging, "bin")
        with open(src, "wb") as handle:
            handle.write(os.urandom(30_000))
        digest = sha256sum(src)
        release = tmp_path / "releases" / "1"
        release.mkdir(parents=True)
        method = place_binary(src, str(release), "demo", parse_checksum(digest), 0, 0, 0o755)
        assert method == "copy"
        assert sha256sum(release / "demo") == digest
        assert os.stat(release / "demo").st_mode & 0o7777 == 0o755
        assert sorted(os.listdir(release)) == ["demo"]
    finally:
        shutil.rmtree(staging)


def test_lock_times_out_while_another_run_holds_it(root):
    path = str(root / ".lock")
    with open(path, "w") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        waiting = RootLock(path, timeout=0.2)
        with pytest.raises(ReleaseError, match=r"another go_release run holds .*\.lock .*raise lock_timeout"):
            waiting.__enter__()
        assert waiting.fd is None
    with RootLock(path, timeout=0.2) as lock:
        assert lock.fd is not None


def test_check_mode_lock_does_not_create_the_lock_file(root):
    with RootLock(str(root / ".lock"), exclusive=False, create=False) as lock:
        assert lock.fd is None
    assert not (root / ".lock").exists()


# --- install and rollback -------------------------------------------------------------------------


def test_install_upgrade_rollback_cycle(root, tmp_path):
    src1, digest1 = stage(root, tmp_path)
    first = install_release(params(root, "1.0.0", src1, digest1))
    src2, digest2 = stage(root, tmp_path)
    assert first["installed"] and first["switched"] and first["install_method"] == "hardlink"
    second = install_release(params(root, "2.0.0", src2, digest2))
    assert (second["previous_version"], second["current_version"]) == ("1.0.0", "2.0.0")
    state = json.loads((root / ".releases.json").read_text())
    assert [(r["version"], r["sha256"], r["binary_name"]) for r in state["releases"]] == [
        ("1.0.0", digest1, "demo"),
        ("2.0.0", digest2, "demo"),
    ]
    assert state["switched_from"] == "1.0.0"
    back = rollback_release({"root": str(root), "lock_timeout": 5})
    assert (back["rolled_back_from"], back["current_version"], back["sha256"]) == ("2.0.0", "1.0.0", digest1)
    assert os.readlink(root / "current") == "releases/1.0.0"
    again = rollback_release({"root": str(root), "lock_timeout": 5})
    assert again["changed"] is False
    assert os.readlink(root / "current") == "releases/1.0.0"


def test_adopts_a_layout_made_before_the_state_file(root, tmp_path):
    """The first role versions wrote releases/<v>/<bin> and current, without .releases.json."""
    digests = {}
    for version in ("1.9.0", "1.10.0", "1.2.0"):
        src, digest = stage(root, tmp_path)
        (root / "releases" / version).mkdir(parents=True)
        shutil.copy(src, root / "releases" / version / "demo")
        os.unlink(src)
        digests[version] = digest
    os.symlink("releases/1.9.0", root / "current")
    src, digest = stage(root, tmp_path)
    result = install_release(params(root, "2.0.0", src, digest, keep=10))
    # version order guess for the adopted ones, the current one last among them; the new release is newest.
    assert [r["version"] for r in result["releases"]] == ["1.2.0", "1.10.0", "1.9.0", "2.0.0"]
    assert [r["sha256"] for r in result["releases"][:3]] == [digests["1.2.0"], digests["1.10.0"], digests["1.9.0"]]
    assert [r["installed_at"] for r in result["releases"][:3]] == [None, None, None]
    assert result["previous_version"] == "1.9.0"
    assert "record release 1.10.0 (installed but not in" in " ".join(result["actions"])


def test_install_errors_leave_no_trace(root, tmp_path):
    src, digest = stage(root, tmp_path)
    with open(src, "ab") as handle:
        handle.write(b"tampered")
    before = sorted(os.listdir(root))
    with pytest.raises(ReleaseError, match="does not match the expected digest") as caught:
        install_release(params(root, "1.0.0", src, digest))
    assert caught.value.details["expected"] == digest
    assert caught.value.details["actual"] == sha256sum(src)
    assert sorted(os.listdir(root)) == before == [".staging"]


def test_rollback_requires_an_installed_tree(tmp_path):
    with pytest.raises(ReleaseError, match="nothing was installed there to roll back to"):
        rollback_release({"root": str(tmp_path / "absent")})


def test_unknown_keys_of_the_module_are_not_needed(root, tmp_path):
    """install_release works with only the required options (defaults come from the module)."""
    src, digest = stage(root, tmp_path)
    result = install_release({"root": str(root), "version": "1", "src": src, "checksum": digest, "binary_name": "demo"})
    assert result["current_version"] == "1"
    assert _release.TEMP_PREFIX == ".go_release."


def test_parse_mode_explains_an_unquoted_yaml_number():
    with pytest.raises(ReleaseError, match=r"given as the number 755, octal 1363; quote it in YAML"):
        parse_mode(755)


def test_install_creates_a_missing_root_with_parents(tmp_path):
    staging = tmp_path / "upload"
    src, digest = stage(staging, tmp_path)
    root = tmp_path / "new" / "opt" / "demo"
    result = install_release(params(root, "1", src, digest))
    assert result["actions"][0] == f"create {root}"
    assert os.stat(root).st_mode & 0o7777 == 0o755
    assert os.readlink(root / "current") == "releases/1"


def test_a_removed_record_is_rebuilt_with_a_warning_and_nothing_is_pruned(root, tmp_path):
    """Deleting .releases.json (as its error message once suggested) must not cost the rollback target."""
    for version in ("1.0.0", "2.0.0", "3.0.0"):
        src, digest = stage(root, tmp_path)
        install_release(params(root, version, src, digest, keep=2))
    installed = sorted(os.listdir(root / "releases"))
    assert installed == ["2.0.0", "3.0.0"]  # keep=2 pruned 1.0.0 while the record was there
    previous = json.loads((root / ".releases.json.previous").read_text())
    assert [r["version"] for r in previous["releases"]] == ["1.0.0", "2.0.0"]  # the record before the last write
    (root / ".releases.json").unlink()
    src, digest = stage(root, tmp_path)
    result = install_release(params(root, "4.0.0", src, digest, keep=1))
    assert result["pruned"] == []
    assert sorted(os.listdir(root / "releases")) == ["2.0.0", "3.0.0", "4.0.0"]
    (warning,) = [w for w in result["warnings"] if "did not list the installed release(s)" in w]
    assert "2.0.0, 3.0.0" in warning and "read from the binaries on disk" in warning and "Nothing was pruned" in warning
    # The next run reads a complete record again and prunes by its order.
    src, digest = stage(root, tmp_path)
    later = install_release(params(root, "5.0.0", src, digest, keep=1))
    assert later["warnings"] == [] and later["pruned"] == ["2.0.0", "3.0.0"]


def test_the_record_before_each_write_is_kept_and_an_invalid_one_is_not(root, tmp_path):
    src, digest = stage(root, tmp_path)
    install_release(params(root, "1.0.0", src, digest))
    assert not (root / ".releases.json.previous").exists()  # nothing was there before the first write
    (root / ".releases.json").write_text("{not json")
    src, digest = stage(root, tmp_path)
    with pytest.raises(ReleaseError, match="is not valid JSON"):
        install_release(params(root, "2.0.0", src, digest))
    assert not (root / ".releases.json.previous").exists()
