# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_release.py on odd trees and failing steps: what the caller is told, and what is left on disk.

Binaries are real files with random content; expected digests come from hashlib over the bytes
written, never from the code under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    ReleaseError,
    check_name,
    check_root,
    install_release,
    natural_key,
    parse_checksum,
    parse_mode,
    place_binary,
    resolve_group,
    resolve_owner,
    rollback_release,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the release tree belongs to root, as on a target")


def staged(root, size=5000):
    """A random binary staged as <root>/.staging/<sha256>: (path, sha256 hex)."""
    content = os.urandom(size)
    digest = hashlib.sha256(content).hexdigest()
    staging = root / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / digest
    path.write_bytes(content)
    return str(path), digest


def present(root, version, **extra):
    """install_release of a new random binary as ``version``; the result."""
    src, digest = staged(root)
    params = dict(root=str(root), version=version, src=src, checksum=f"sha256:{digest}", binary_name="demo")
    params.update(extra)
    return install_release(params)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "opt" / "demo"
    path.mkdir(parents=True)
    return path


# -- what is in the way is named by its kind --------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda path: path.write_bytes(b"x"), "regular file"),
        (os.mkfifo, "special file"),
    ],
)
def test_something_else_at_current_is_named_by_its_kind(root, make, kind):
    """current that is not a symbolic link is refused, naming what it is."""
    make(root / "current")
    with pytest.raises(ReleaseError) as caught:
        present(root, "1.0.0")
    assert str(caught.value).startswith(f"{root}/current is a {kind}, not the symbolic link this module manages")


def test_a_link_at_a_release_directory_is_named(root, tmp_path):
    """A symbolic link where a release directory belongs is refused, naming it."""
    (root / "releases").mkdir()
    os.symlink(tmp_path, root / "releases" / "1.0.0")
    with pytest.raises(ReleaseError) as caught:
        present(root, "1.0.0")
    assert str(caught.value) == (
        f"{root}/releases/1.0.0 is a symbolic link, not a release directory; remove it and run again"
    )


def test_a_root_that_is_a_file_is_named(tmp_path):
    """A release root that is a file is refused, naming what it is."""
    src, digest = staged(tmp_path / "upload")
    path = tmp_path / "demo"
    path.write_bytes(b"")
    with pytest.raises(ReleaseError) as caught:
        install_release(dict(root=str(path), version="1", src=src, checksum=digest, binary_name="demo"))
    assert str(caught.value) == f"root {path} is a regular file, not a directory; give the release root"


# -- creating the root ------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_a_new_root_and_its_parents_are_0755_whatever_the_umask(tmp_path, umask):
    """The release root and the parents created for it are 0755, whatever the umask."""
    src, digest = staged(tmp_path / "upload")
    root = tmp_path / "new" / "opt" / "demo"
    old = os.umask(umask)
    try:
        install_release(dict(root=str(root), version="1", src=src, checksum=digest, binary_name="demo"))
    finally:
        os.umask(old)
    for path in (tmp_path / "new", tmp_path / "new" / "opt", root):
        assert mode_of(path) == 0o755, path
    for path, mode in (
        (root / "releases", 0o755),
        (root / "releases" / "1", 0o755),
        (root / "releases" / "1" / "demo", 0o755),
        (root / ".releases.json", 0o644),
        (root / ".lock", 0o600),
    ):
        assert mode_of(path) == mode, path


def test_a_new_root_is_never_more_open_than_0755(tmp_path, monkeypatch):
    """The release root and its new parents are 0755 from the start, not opened wider until their mode is set."""
    src, digest = staged(tmp_path / "upload")
    root = tmp_path / "new" / "demo"
    seen = {}
    real = os.chmod

    def chmod(target, *args, **kwargs):
        seen.setdefault(os.fspath(target), mode_of(target))
        return real(target, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", chmod)
    old = os.umask(0)
    try:
        install_release(dict(root=str(root), version="1", src=src, checksum=digest, binary_name="demo"))
    finally:
        os.umask(old)
    assert seen == {str(tmp_path / "new"): 0o755, str(root): 0o755}


def test_a_lock_file_that_is_a_symbolic_link_is_refused(root, tmp_path):
    """The lock file is never opened through a symbolic link."""
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    os.symlink(target, root / ".lock")
    with pytest.raises(ReleaseError) as caught:
        present(root, "1.0.0")
    assert str(caught.value) == f"opening the lock file {root}/.lock failed: Too many levels of symbolic links"


# -- copying when a hard link is impossible ----------------------------------------------------------


def _other_file_system(tmp_path):
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the test directory")
    return shm


def test_a_copy_that_cannot_read_its_source_names_both_and_leaves_nothing(tmp_path):
    """A failed copy names source, destination and reason, and leaves no partial file."""
    shm = _other_file_system(tmp_path)
    src = os.path.join(shm, f"gosvc-release-missing-{os.getpid()}")
    os.symlink(src + ".absent", src)  # links across file systems fail, and the copy cannot open it
    try:
        release = tmp_path / "releases" / "1"
        release.mkdir(parents=True)
        with pytest.raises(ReleaseError) as caught:
            place_binary(src, str(release), "demo", parse_checksum("a" * 64), 0, 0, 0o755)
        message = str(caught.value)
        assert message.startswith(f"copying {src} to {release}/.go_release.bin.")
        assert message.endswith(" failed: No such file or directory")
        assert os.listdir(release) == []
    finally:
        os.unlink(src)


def test_a_copy_in_progress_is_private(tmp_path, monkeypatch):
    """A binary being copied is readable by its owner only until it is verified and its mode set."""
    shm = _other_file_system(tmp_path)
    src = os.path.join(shm, f"gosvc-release-copy-{os.getpid()}")
    content = os.urandom(3000)
    with open(src, "wb") as handle:
        handle.write(content)
    modes = []
    real = os.fsync

    def fsync(fd):
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):
            modes.append(stat.S_IMODE(info.st_mode))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    try:
        release = tmp_path / "releases" / "1"
        release.mkdir(parents=True)
        old = os.umask(0)
        try:
            method = place_binary(
                src, str(release), "demo", parse_checksum(hashlib.sha256(content).hexdigest()), 0, 0, 0o755
            )
        finally:
            os.umask(old)
        assert method == "copy"
        assert modes == [0o600]
        assert mode_of(release / "demo") == 0o755
    finally:
        os.unlink(src)


# -- guessing the order of unrecorded releases ----------------------------------------------------------


def test_natural_key_puts_a_number_before_a_word_at_the_same_place():
    """Where one version has a number and the other a word, the number sorts first."""
    assert sorted(["nightly", "10.0", "2.0"], key=natural_key) == ["2.0", "10.0", "nightly"]


# -- rollback input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "example"), [("version", "../1.0.0", "1.4.2"), ("binary_name", "bin/demo", "myservice")]
)
def test_rollback_names_a_bad_option_and_an_example(root, option, value, example):
    """rollback refuses a version or binary name that is not a file name, naming it and giving an example."""
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root), option: value})
    message = str(caught.value)
    assert message.startswith(f"{option} {value!r} cannot be used as a file name here")
    assert message.endswith(f"(for example {example})")


def test_rollback_reads_an_old_state_file_with_the_binary_name_given(root):
    """A state file without binary names (older format) is read on rollback when binary_name is given."""
    present(root, "1.0.0")
    present(root, "2.0.0")
    state_path = root / ".releases.json"
    state = json.loads(state_path.read_text())
    for release in state["releases"]:
        del release["binary_name"]
    state_path.write_text(json.dumps(state))
    with pytest.raises(ReleaseError, match=r"does not record the binary name of release 1\.0\.0; give binary_name"):
        rollback_release({"root": str(root)})
    result = rollback_release({"root": str(root), "binary_name": "demo"})
    assert (result["current_version"], result["binary_path"]) == ("1.0.0", f"{root}/releases/1.0.0/demo")


# -- the lock ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["present", "rollback"])
def test_check_mode_shares_the_lock_and_a_real_run_takes_it_alone(root, operation):
    """A check-mode run shares the lock and never creates it; a real run waits for every other holder."""
    import fcntl

    present(root, "1.0.0")
    src, digest = staged(root)
    again = dict(root=str(root), version="2.0.0", src=src, checksum=digest, binary_name="demo", lock_timeout=0)
    install_release(again)

    def run(check_mode, **extra):
        if operation == "present":
            return install_release(dict(again, **extra), check_mode)
        return rollback_release(dict({"root": str(root), "version": "1.0.0"}, **extra), check_mode)

    with open(root / ".lock", "r+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_SH)
        assert run(True, lock_timeout=0)["current_version"] == ("2.0.0" if operation == "present" else "1.0.0")
        with pytest.raises(ReleaseError, match="another go_release run holds"):
            run(False, lock_timeout=0)
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ReleaseError, match="another go_release run holds"):
            run(True, lock_timeout=0)
    os.unlink(root / ".lock")
    run(True)
    assert not (root / ".lock").exists()
    run(False)
    assert stat.S_ISREG(os.lstat(root / ".lock").st_mode)


# -- rollback on odd trees ------------------------------------------------------------------------------------


def test_rollback_lists_the_installed_releases_when_it_cannot_infer_a_target(root):
    """A rollback it cannot infer names the state of current and every installed release, oldest first."""
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root)})
    assert str(caught.value) == (
        f"{root}/current is missing, so there is no previous release to infer; give version "
        "(installed, oldest first: none)"
    )
    present(root, "1.0.0")
    present(root, "2.0.0")
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root), "version": "0.9.0"})
    assert str(caught.value) == (
        f"release 0.9.0 is not installed under {root}/releases (installed, oldest first: 1.0.0, 2.0.0); "
        "give one of those as version"
    )


def test_rollback_cleans_the_leftovers_of_an_interrupted_run(root):
    """A rollback removes what an interrupted run left and says so."""
    present(root, "1.0.0")
    present(root, "2.0.0")
    leftover = root / ".go_release.state.0123456789ab"
    leftover.write_text("{")
    result = rollback_release({"root": str(root)})
    assert f"remove {leftover} (left over by an interrupted run)" in result["actions"]
    assert not leftover.exists()


def test_rollback_adopts_unrecorded_releases_with_current_last(root):
    """Without a state file, rollback adopts the releases it finds, current last, and goes to the one before."""
    for version in ("1.9.0", "1.10.0", "2.0.0"):
        present(root, version)
    rollback_release({"root": str(root), "version": "1.9.0"})
    os.unlink(root / ".releases.json")
    result = rollback_release({"root": str(root), "binary_name": "demo"})
    assert [r["version"] for r in result["releases"]] == ["1.10.0", "2.0.0", "1.9.0"]
    assert (result["previous_version"], result["current_version"]) == ("1.9.0", "2.0.0")
    assert os.readlink(root / "current") == "releases/2.0.0"


def test_rollback_from_a_dangling_current_has_no_previous_version(root):
    """Rolling back from a current that names no installed release reports no previous version."""
    present(root, "1.0.0")
    os.unlink(root / "current")
    os.symlink("releases/0.9.0", root / "current")
    result = rollback_release({"root": str(root), "version": "1.0.0"})
    assert result["current_was"] == "dangling"
    assert (result["previous_version"], result["rolled_back_from"], result["switched"]) == (None, None, True)
    assert json.loads((root / ".releases.json").read_text())["rolled_back"]["from"] is None


# -- bad input: the message names the input and the fix ---------------------------------------------------


def _message(call, *args):
    with pytest.raises(ReleaseError) as caught:
        call(*args)
    return str(caught.value)


@pytest.mark.parametrize(
    ("call", "args", "message"),
    [
        (check_root, ("",), "root is empty; give the release root, for example /opt/myservice"),
        (check_root, (None,), "root is empty; give the release root, for example /opt/myservice"),
        (check_root, ("/",), "root is /; give a directory of its own, for example /opt/myservice"),
        (check_name, ("", "version", "1.4.2"), "version is empty; give it, for example version: 1.4.2"),
        (check_name, (None, "binary_name", "demo"), "binary_name is empty; give it, for example binary_name: demo"),
        (resolve_owner, ("",), "owner is empty; give a user name or a numeric uid (default root)"),
        (resolve_owner, (None,), "owner is empty; give a user name or a numeric uid (default root)"),
        (resolve_group, ("",), "group is empty; give a group name or a numeric gid (default root)"),
        (resolve_group, (None,), "group is empty; give a group name or a numeric gid (default root)"),
        (parse_mode, (["0755"],), "mode ['0755'] is not a file mode; give it as a quoted octal string such as '0755'"),
        (parse_mode, ("u+x",), "mode 'u+x' is not an octal file mode; give it quoted, such as '0755'"),
        (
            parse_mode,
            (0o17755,),
            "mode 8173 is out of range; give it quoted, such as '0755' "
            "(mode was given as the number 8173, octal 17755; quote it in YAML: mode: '0755')",
        ),
        (parse_mode, ("0757",), "mode 0757 lets every user write the binary; use '0755' (releases are immutable)"),
        (
            parse_mode,
            (0o2755,),
            "mode 2755 sets setuid, setgid or sticky bits; a service binary needs none, use '0755' "
            "(mode was given as the number 1517, octal 2755; quote it in YAML: mode: '0755')",
        ),
        (
            parse_checksum,
            ("sha512:" + "a" * 128,),
            "checksum is a sha512 digest; give the sha256 digest (sha256:<64 hex digits>), "
            "staged files and the state file are keyed by sha256",
        ),
    ],
)
def test_bad_input_is_named_with_the_fix(call, args, message):
    """Bad input fails with a message that names the input and the fix."""
    assert _message(call, *args) == message


@pytest.mark.parametrize(("value", "mode"), [(" 0750 ", 0o750), ("0o0644", 0o644), (0o7755 & 0o755, 0o755)])
def test_parse_mode_accepts_blanks_and_prefixes(value, mode):
    """A mode may carry blanks, a 0 or 0o prefix, or be a number."""
    assert parse_mode(value) == mode


def test_a_negative_mode_is_out_of_range():
    """A negative number is not a mode."""
    assert _message(parse_mode, -1).startswith("mode -1 is out of range; give it quoted, such as '0755'")


def test_numeric_owner_and_group_are_taken_as_ids():
    """A numeric owner or group is taken as a uid or gid, account or not."""
    assert (resolve_owner("54321"), resolve_group("54322")) == (54321, 54322)


@pytest.mark.parametrize("keep", [0, -1, "3", None])
def test_keep_must_be_a_positive_number(root, keep):
    """keep must be a number of at least 1; the message names the value given."""
    with pytest.raises(ReleaseError) as caught:
        present(root, "1.0.0", keep=keep)
    assert str(caught.value) == (
        f"keep must be at least 1, got {keep!r}; the current and previous releases are always kept"
    )
    assert not (root / "releases").exists()


def test_rollback_from_a_dangling_current_without_version_names_its_target(root):
    """A rollback it cannot infer from a dangling current names where current points."""
    present(root, "1.0.0")
    os.unlink(root / "current")
    os.symlink("releases/0.9.0", root / "current")
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root)})
    assert str(caught.value) == (
        f"{root}/current is dangling (it points at 'releases/0.9.0'), so there is no previous release to infer; "
        "give version (installed, oldest first: 1.0.0)"
    )


def test_a_second_rollback_says_it_was_already_done(root):
    """A rollback run again changes nothing and says from where it already went back."""
    present(root, "1.0.0")
    present(root, "2.0.0")
    rollback_release({"root": str(root)})
    again = rollback_release({"root": str(root)})
    assert again["changed"] is False
    assert again["warnings"] == [
        f"{root}/current was already rolled back from 2.0.0 to 1.0.0; nothing to do (give version to go further back)"
    ]


def test_rollback_goes_back_to_the_release_current_was_switched_from(root):
    """Without version, rollback returns to the release current pointed to before the last switch."""
    for version in ("1.0.0", "2.0.0"):
        present(root, version)
    rollback_release({"root": str(root), "version": "1.0.0"})
    present(root, "3.0.0")  # switched from 1.0.0; 2.0.0 is before it in install order
    result = rollback_release({"root": str(root)})
    assert (result["rolled_back_from"], result["current_version"]) == ("3.0.0", "1.0.0")


def test_a_tampered_or_unpinned_release_is_refused_with_the_digests(root):
    """A rollback target that fails its recorded or pinned digest is refused; the error carries both digests."""
    first = present(root, "1.0.0")
    present(root, "2.0.0")
    pinned = "b" * 64
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root), "checksum": f"sha256:{pinned}"})
    assert caught.value.details == {
        "path": f"{root}/releases/1.0.0/demo",
        "expected": pinned,
        "actual": first["sha256"],
    }
    assert str(caught.value).endswith(
        f"not the checksum sha256:{pinned}; correct checksum or roll back to the release it names"
    )
    binary = root / "releases" / "1.0.0" / "demo"
    os.unlink(binary)
    binary.write_bytes(b"tampered")
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root)})
    assert caught.value.details == {
        "path": str(binary),
        "expected": first["sha256"],
        "actual": hashlib.sha256(b"tampered").hexdigest(),
    }
    assert os.readlink(root / "current") == "releases/2.0.0"


@pytest.mark.parametrize("operation", ["present", "rollback"])
def test_the_lock_is_awaited_60_seconds_by_default(root, monkeypatch, operation):
    """Without lock_timeout, a run waits 60 seconds for another run's lock, then says so."""
    import fcntl
    import time

    present(root, "1.0.0")
    present(root, "2.0.0")
    src, digest = staged(root)
    clock = [1000.0]

    def monotonic():
        clock[0] += 7.0
        return clock[0]

    monkeypatch.setattr(time, "monotonic", monotonic)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    with open(root / ".lock", "r+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ReleaseError) as caught:
            if operation == "present":
                install_release(dict(root=str(root), version="3.0.0", src=src, checksum=digest, binary_name="demo"))
            else:
                rollback_release({"root": str(root)})
    assert str(caught.value) == (
        f"another go_release run holds {root}/.lock (waited 60 s); wait for it to finish, or raise lock_timeout"
    )
    assert 1060 <= clock[0] <= 1000 + 60 + 3 * 7


# -- install on odd trees ------------------------------------------------------------------------------------


def params_for(root, version, src, digest, **extra):
    return dict(dict(root=str(root), version=version, src=src, checksum=digest, binary_name="demo"), **extra)


def test_current_left_alone_with_switch_false_is_reported(root):
    """With switch false, a dangling or missing current is left as it is, with a warning saying so."""
    os.symlink("releases/0.9.0", root / "current")
    dangling = present(root, "1.0.0", switch=False)
    assert dangling["warnings"] == [
        f"{root}/current points at 'releases/0.9.0', which is not an installed release; switch is false, "
        "it is left as it is"
    ]
    assert os.readlink(root / "current") == "releases/0.9.0"
    assert dangling["diff"]["before"] == dangling["diff"]["after"] == "releases/0.9.0\n"
    os.unlink(root / "current")
    missing = present(root, "2.0.0", switch=False)
    assert missing["warnings"] == [f"{root}/current does not exist; switch is false, so it is not created"]
    assert not os.path.lexists(root / "current")
    assert missing["diff"]["before"] == missing["diff"]["after"] == ""


def test_a_foreign_current_is_switched_with_a_warning(root, tmp_path):
    """A current pointing outside the releases is replaced by the new release, with a warning."""
    os.symlink(str(tmp_path), root / "current")
    result = present(root, "1.0.0")
    assert result["current_was"] == "foreign"
    assert result["warnings"] == [
        f"{root}/current points at {str(tmp_path)!r}, which is not an installed release; it is switched to the "
        "new release"
    ]
    assert f"switch {root}/current: {tmp_path} -> releases/1.0.0" in result["actions"]


def test_a_release_installed_under_another_binary_name_is_refused(root):
    """An installed release is not reinstalled under another binary name."""
    first = present(root, "1.0.0")
    src = f"{root}/.staging/{first['sha256']}"
    with pytest.raises(ReleaseError) as caught:
        install_release(params_for(root, "1.0.0", src, first["sha256"], binary_name="other"))
    assert str(caught.value) == (
        f"release 1.0.0 is installed with the binary 'demo', not 'other'; releases are immutable: bump "
        f"go_service_version or remove {root}/releases/1.0.0"
    )


def test_without_src_an_installed_release_is_checked_again_and_a_new_one_refused(root):
    """Without src, an installed release is hashed again; a release not installed needs src."""
    first = present(root, "1.0.0")
    again = install_release(params_for(root, "1.0.0", None, first["sha256"]))
    assert again["changed"] is False and again["installed"] is False
    digest = "c" * 64
    with pytest.raises(ReleaseError) as caught:
        install_release(params_for(root, "2.0.0", None, digest))
    assert str(caught.value) == (
        "src is required with state=present while release 2.0.0 is not installed; give the staged binary, "
        f"normally {root}/.staging/{digest} (the role copies it there)"
    )


def test_something_in_the_way_of_a_new_release_is_named(root):
    """A directory at the release binary's name, or a file at releases/, is named with the fix."""
    (root / "releases" / "1.0.0" / "demo").mkdir(parents=True)
    with pytest.raises(ReleaseError) as caught:
        present(root, "1.0.0")
    assert str(caught.value) == (
        f"{root}/releases/1.0.0/demo is a directory, not the release binary; releases are immutable: bump "
        f"go_service_version or remove {root}/releases/1.0.0"
    )
    other = root.parent / "other"
    other.mkdir()
    (other / "releases").write_bytes(b"")
    with pytest.raises(ReleaseError) as caught:
        present(other, "1.0.0")
    assert str(caught.value) == f"{other}/releases is not a directory; move it out of the way"


def test_an_empty_release_directory_left_over_is_reused_with_its_attributes_set(root):
    """An empty release directory left by an interrupted run is reused, owner and mode corrected."""
    (root / "releases" / "1.0.0").mkdir(parents=True)
    os.chmod(root / "releases" / "1.0.0", 0o700)
    (root / "releases" / "0.9.0").mkdir()
    result = present(root, "1.0.0")
    assert f"set owner, group and mode 0755 of {root}/releases/1.0.0" in result["actions"]
    assert f"remove the empty directory {root}/releases/0.9.0" in result["actions"]
    assert mode_of(root / "releases" / "1.0.0") == 0o755
    assert sorted(os.listdir(root / "releases")) == ["1.0.0"]
    assert result["warnings"] == []


def test_unknown_entries_under_releases_are_left_alone_with_a_warning(root):
    """A file or a directory that holds no release binary is left alone, with a warning naming it."""
    (root / "releases" / "notes").mkdir(parents=True)
    (root / "releases" / "notes" / "README").write_bytes(b"")
    (root / "releases" / "NOTES.txt").write_bytes(b"")
    result = present(root, "1.0.0")
    assert result["warnings"] == [
        f"{root}/releases/{name} is not a release this module knows (no binary, or not a directory); it is left alone"
        for name in ("NOTES.txt", "notes")
    ]
    assert sorted(os.listdir(root / "releases")) == ["1.0.0", "NOTES.txt", "notes"]


def test_only_unused_staged_binaries_are_pruned(root):
    """Pruning removes staged binaries no kept release uses; other names and the current src stay."""
    present(root, "1.0.0")
    (root / ".staging" / "notes").write_bytes(b"")
    unused = "d" * 64
    (root / ".staging" / unused).write_bytes(b"")
    os.symlink("notes", root / ".staging" / ("e" * 64))
    src, digest = staged(root)
    result = install_release(params_for(root, "2.0.0", src, digest, keep=1))
    assert result["pruned"] == []  # 1.0.0 is the previous release
    assert result["pruned_staging"] == [f"{root}/.staging/{unused}"]
    assert sorted(os.listdir(root / ".staging")) == sorted(
        [r["sha256"] for r in result["releases"]] + ["notes", "e" * 64]
    )


def test_a_rollback_reports_what_it_did_and_records_it(root):
    """A rollback's result and the state file say what it switched, from where, and what it found."""
    first = present(root, "1.0.0")
    present(root, "2.0.0")
    present(root, "3.0.0")
    (root / "releases" / "0.8.0").mkdir()  # an empty leftover: a rollback leaves it alone
    result = rollback_release({"root": str(root), "version": "1.0.0"})
    assert {key: value for key, value in result.items() if key != "releases"} == {
        "changed": True,
        "previous_version": "3.0.0",
        "current_version": "1.0.0",
        "current_was": "ok",
        "rolled_back_from": "3.0.0",
        "release_dir": f"{root}/releases/1.0.0",
        "binary_path": f"{root}/releases/1.0.0/demo",
        "sha256": first["sha256"],
        "installed": False,
        "install_method": None,
        "switched": True,
        "pruned": [],
        "pruned_staging": [],
        "actions": [f"write {root}/.releases.json", f"switch {root}/current: releases/3.0.0 -> releases/1.0.0"],
        "warnings": [],
        "diff": {
            "before": "releases/3.0.0\n",
            "after": "releases/1.0.0\n",
            "before_header": f"{root}/current (symbolic link target)",
            "after_header": f"{root}/current (symbolic link target)",
        },
    }
    assert [r["version"] for r in result["releases"]] == ["1.0.0", "2.0.0", "3.0.0"]
    assert (root / "releases" / "0.8.0").is_dir()
    state = json.loads((root / ".releases.json").read_text())
    assert state["switched_from"] == "2.0.0"  # the last install's switch, kept
    assert sorted(state["rolled_back"]) == ["at", "from", "to"]
    assert (state["rolled_back"]["from"], state["rolled_back"]["to"]) == ("3.0.0", "1.0.0")
    assert state["rolled_back"]["at"].endswith("Z")


def test_a_rollback_forgets_a_recorded_release_whose_binary_is_gone(root):
    """A recorded release without its binary is dropped from the record, and the rollback says so."""
    present(root, "1.0.0")
    present(root, "2.0.0")
    present(root, "3.0.0")
    os.unlink(root / "releases" / "1.0.0" / "demo")
    result = rollback_release({"root": str(root)})
    assert result["actions"][0] == f"forget release 1.0.0 ({root}/releases/1.0.0 holds no binary)"
    assert [r["version"] for r in result["releases"]] == ["2.0.0", "3.0.0"]
    assert (root / "releases" / "1.0.0").is_dir()


def test_a_release_directory_swapped_for_a_file_keeps_its_owner_and_mode(root, monkeypatch, tmp_path):
    """A release directory replaced by a file just before its owner and mode are fixed is refused, file untouched."""
    first = present(root, "1.0.0")
    release = root / "releases" / "1.0.0"
    os.chmod(release, 0o700)
    real_open = os.open

    def swapping_open(path, flags, *args, **kwargs):
        if os.fspath(path) == str(release) and release.is_dir():
            os.rename(release, tmp_path / "moved")
            release.write_bytes(b"planted")
            os.chmod(release, 0o600)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swapping_open)
    with pytest.raises(ReleaseError) as caught:
        install_release(params_for(root, "1.0.0", f"{root}/.staging/{first['sha256']}", first["sha256"]))
    assert str(caught.value) == f"{release} is not a directory; remove it and run again"
    assert mode_of(release) == 0o600 and release.read_bytes() == b"planted"


# -- current, the state file and its timestamps ---------------------------------------------------------------


def test_rollback_target_without_a_recorded_switch_is_the_release_installed_before():
    """Without a recorded switch, the rollback target is the release installed just before current."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import Release, rollback_target

    releases = [Release(v, "a" * 64, None, "demo") for v in ("1", "2")]
    assert rollback_target(releases, "2", None) == "1"


@pytest.mark.parametrize("target", ["demo", "other/1.0.0", "releases/1.0.0/demo", "releases/.hidden"])
def test_a_current_that_names_no_release_is_foreign(root, target):
    """current pointing anywhere but releases/<version> is foreign, never taken for a release."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import Layout, read_current

    os.symlink(target, root / "current")
    assert read_current(Layout(str(root))).version is None


def test_an_absolute_current_is_read_whatever_the_root_is_written_like(root):
    """An absolute current under the root names its release, also when the root is given with a trailing /."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import Layout, read_current

    os.symlink(f"{root}/releases/1.0.0", root / "current")
    assert read_current(Layout(f"{root}/")).version == "1.0.0"


def test_install_times_are_utc(root, monkeypatch):
    """installed_at is the UTC time as YYYY-MM-DDTHH:MM:SSZ, whatever the host's time zone."""
    import re
    import time
    from datetime import datetime, timezone

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        before = datetime.now(timezone.utc).replace(microsecond=0)
        stamp = present(root, "1.0.0")["releases"][0]["installed_at"]
        after = datetime.now(timezone.utc)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert before <= datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) <= after


def test_the_state_file_is_indented_json_and_never_more_open_than_0644(root, monkeypatch):
    """.releases.json is JSON indented by two spaces, ending in a line feed, 0644 from the moment it is made."""
    modes = []
    real = os.fsync

    def fsync(fd):
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):
            modes.append(stat.S_IMODE(info.st_mode))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    old = os.umask(0)
    try:
        present(root, "1.0.0")
    finally:
        os.umask(old)
    text = (root / ".releases.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
    assert modes == [0o644]


def test_a_state_file_that_cannot_be_replaced_leaves_no_temporary_file(root):
    """When the state file cannot be replaced, the error is raised and no temporary file is left."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import Layout, State, write_state

    (root / ".releases.json").mkdir()
    (root / ".releases.json" / "keep").write_bytes(b"")
    with pytest.raises(OSError):
        write_state(Layout(str(root)), State([], None, None))
    assert sorted(os.listdir(root)) == [".releases.json"]


def _fifo_at_first_open(monkeypatch, binary):
    """Put a FIFO where ``binary`` is, right before the first os.open of it: a change between two steps."""
    real_open = os.open

    def swapping_open(path, flags, *args, **kwargs):
        if os.fspath(path) == str(binary) and stat.S_ISREG(os.lstat(binary).st_mode):
            os.unlink(binary)
            os.mkfifo(binary, 0o600)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swapping_open)


def test_a_fifo_put_at_the_release_binary_is_refused_before_its_owner_is_fixed(root, monkeypatch):
    """A FIFO put where the release binary was is refused, named as a special file, its mode unchanged."""
    first = present(root, "1.0.0")
    binary = root / "releases" / "1.0.0" / "demo"
    os.chmod(binary, 0o700)
    _fifo_at_first_open(monkeypatch, binary)
    with pytest.raises(ReleaseError) as caught:
        install_release(params_for(root, "1.0.0", f"{root}/.staging/{first['sha256']}", first["sha256"]))
    assert str(caught.value) == (
        f"{binary} is a special file, not the regular file this module made; its owner and mode are not changed: "
        "remove it and run again"
    )
    assert mode_of(binary) == 0o600


def test_a_release_binary_that_cannot_be_hashed_again_is_named(root, monkeypatch):
    """A release binary that cannot be hashed on a re-run is named with the reason."""
    first = present(root, "1.0.0")
    binary = root / "releases" / "1.0.0" / "demo"
    _fifo_at_first_open(monkeypatch, binary)
    with pytest.raises(ReleaseError) as caught:
        install_release(params_for(root, "1.0.0", None, first["sha256"]))
    assert str(caught.value) == (
        f"hashing the installed binary {binary}: file to verify {binary} is not a regular file "
        "(a device, FIFO or socket)"
    )


def test_a_rollback_target_that_cannot_be_hashed_is_named(root, monkeypatch):
    """A rollback target whose binary cannot be hashed is named with the reason, and current is not switched."""
    present(root, "1.0.0")
    present(root, "2.0.0")
    binary = root / "releases" / "1.0.0" / "demo"
    _fifo_at_first_open(monkeypatch, binary)
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root)})
    assert str(caught.value) == (
        f"hashing the binary of release 1.0.0: file to verify {binary} is not a regular file (a device, FIFO or socket)"
    )
    assert os.readlink(root / "current") == "releases/2.0.0"


def test_place_binary_names_a_source_it_cannot_link(tmp_path):
    """A staged binary that cannot be linked (here: gone) is named with the reason."""
    release = tmp_path / "releases" / "1"
    release.mkdir(parents=True)
    src = str(tmp_path / "gone")
    with pytest.raises(ReleaseError) as caught:
        place_binary(src, str(release), "demo", parse_checksum("a" * 64), 0, 0, 0o755)
    message = str(caught.value)
    assert message.startswith(f"linking {src} to {release}/.go_release.bin.")
    assert message.endswith(" failed: No such file or directory")
    assert os.listdir(release) == []


def test_place_binary_refuses_content_that_changed_since_it_was_verified(root, tmp_path):
    """A staged binary whose content no longer has the verified digest is not installed; the error has both."""
    src, digest = staged(root)
    release = tmp_path / "releases" / "1"
    release.mkdir(parents=True)
    expected = "f" * 64
    with pytest.raises(ReleaseError) as caught:
        place_binary(src, str(release), "demo", parse_checksum(expected), 0, 0, 0o755)
    (temporary,) = {caught.value.details["path"]}
    assert caught.value.details == {"path": temporary, "expected": expected, "actual": digest}
    assert str(caught.value) == (
        f"the staged binary {src} changed while it was being installed; run the task again ({temporary} has "
        f"sha256 {digest}, expected {expected}); its owner and mode were not changed"
    )
    assert os.listdir(release) == []


def test_every_unknown_entry_is_reported_next_to_a_reused_release_directory(root):
    """A release directory reused for the install is not reported; the unknown entries after it still are."""
    (root / "releases" / "1.0.0").mkdir(parents=True)
    (root / "releases" / "1.0.0" / "README").write_bytes(b"")
    (root / "releases" / "zz.txt").write_bytes(b"")
    result = present(root, "1.0.0")
    assert result["warnings"] == [
        f"{root}/releases/zz.txt is not a release this module knows (no binary, or not a directory); it is left alone"
    ]


# -- the state file -----------------------------------------------------------------------------------------


def _state_error(root, document):
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import Layout, read_state

    (root / ".releases.json").write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(ReleaseError) as caught:
        read_state(Layout(str(root)), "demo")
    return str(caught.value)


GOOD = {"version": "1.0.0", "sha256": "a" * 64, "installed_at": None, "binary_name": "demo"}


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ({"format": 1, "releases": {}}, "'releases' must be a list"),
        ({"format": 1, "releases": [GOOD, "x"]}, "releases[1] is not an object"),
        ({"format": 1, "releases": [dict(GOOD, installed_at=5)]}, "releases[0].installed_at is not a string"),
        (
            {"format": 1, "releases": [dict(GOOD, binary_name="a/b")]},
            "releases[0].binary_name 'a/b' is not a file name",
        ),
        ({"format": 1, "releases": [dict(GOOD, binary_name=7)]}, "releases[0].binary_name 7 is not a file name"),
        ({"format": 1, "releases": [], "switched_from": 1}, "'switched_from' is not a string"),
        ({"format": 1, "releases": [], "rolled_back": "1.0.0"}, "'rolled_back' is not an object"),
    ],
)
def test_a_bad_state_file_is_named_with_what_is_wrong_and_the_fix(root, document, why):
    """A state file that is not valid names the file, what is wrong, and how to recover."""
    assert _state_error(root, document) == (
        f"the state file {root}/.releases.json is not valid ({why}); fix it, or put back"
        f" {root}/.releases.json.previous (the record before its last change) in its place; removing it makes the"
        f" module rebuild it from {root}/releases, trusting the digests of the binaries on disk and guessing the"
        " install order from the version numbers (it then prunes nothing and warns)"
    )


def test_a_state_file_at_the_size_limit_is_read_and_a_larger_one_refused(root):
    """A state file of STATE_MAX_BYTES is read; one byte more is refused, naming the limit."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
        STATE_MAX_BYTES,
        Layout,
        Release,
        read_state,
    )

    text = json.dumps({"format": 1, "releases": [dict(GOOD, installed_at="2026-01-01T00:00:00Z")]})
    (root / ".releases.json").write_text(text + " " * (STATE_MAX_BYTES - len(text)))
    state, existed = read_state(Layout(str(root)), "demo")
    assert existed is True
    assert state.releases == [Release("1.0.0", "a" * 64, "2026-01-01T00:00:00Z", "demo")]
    message = _state_error(root, text + " " * (STATE_MAX_BYTES + 1 - len(text)))
    assert message.startswith(f"the state file {root}/.releases.json is larger than {STATE_MAX_BYTES} bytes; fix it")


def test_a_state_file_that_cannot_be_read_is_named(root):
    """A state file that cannot be read is named with the reason."""
    (root / ".releases.json").mkdir()
    with pytest.raises(ReleaseError) as caught:
        present(root, "1.0.0")
    assert str(caught.value) == f"reading the state file {root}/.releases.json failed: Is a directory"


# -- the staged binary ---------------------------------------------------------------------------------------


def test_the_staged_binary_is_named_when_it_is_missing_or_not_a_file(tmp_path, root):
    """A missing, wrong or absent staged binary is named with where the role puts it."""
    digest = "a" * 64
    staged_path = f"{root}/.staging/{digest}"
    new_root = tmp_path / "new"
    messages = {}
    for case, params, check_mode in [
        ("no src, no root", dict(root=str(new_root), src=None), False),
        ("missing", dict(root=str(root), src=staged_path), False),
        ("directory", dict(root=str(root), src=str(tmp_path)), False),
    ]:
        with pytest.raises(ReleaseError) as caught:
            install_release(dict(dict(version="1", checksum=digest, binary_name="demo"), **params), check_mode)
        messages[case] = str(caught.value)
    assert messages == {
        "no src, no root": f"src is required with state=present; give the staged binary, normally {new_root}/.staging/"
        f"{digest} (the role copies the verified artifact there first)",
        "missing": f"the staged binary {staged_path} does not exist; the role uploads it to {staged_path} first (copy "
        "the verified artifact there, then run go_release)",
        "directory": f"src {tmp_path} is a directory; give the staged binary file, normally {staged_path}",
    }
    predicted = install_release(
        dict(root=str(root), version="1", src=staged_path, checksum=digest, binary_name="demo"), True
    )
    assert predicted["warnings"] == [
        f"the staged binary {staged_path} does not exist (in check mode the upload did not run); the release is "
        "reported as it would be installed, without verifying its checksum"
    ]


def test_a_staged_binary_with_another_digest_is_refused_with_both_digests(root):
    """A staged binary that does not have the expected digest is refused; the error carries path and digests."""
    src, digest = staged(root)
    expected = "b" * 64
    with pytest.raises(ReleaseError) as caught:
        install_release(dict(root=str(root), version="1", src=src, checksum=expected, binary_name="demo"))
    assert caught.value.details == {"path": src, "expected": expected, "actual": digest}


@pytest.mark.parametrize(("option", "example"), [("version", "1.4.2"), ("binary_name", "myservice")])
def test_install_names_an_empty_option_with_an_example(root, option, example):
    """An empty version or binary_name is refused with an example of a good one."""
    src, digest = staged(root)
    params = dict(params_for(root, "1.0.0", src, digest), **{option: ""})
    with pytest.raises(ReleaseError) as caught:
        install_release(params)
    assert str(caught.value) == f"{option} is empty; give it, for example {option}: {example}"


@pytest.mark.parametrize(
    ("value", "start"),
    [
        (0o10000, "mode 4096 is out of range"),
        (0o7777, "mode 7777 sets setuid, setgid or sticky bits"),
    ],
)
def test_parse_mode_range_ends(value, start):
    """0 to 07777 is the range of a mode; the special bits are refused on their own account."""
    assert _message(parse_mode, value).startswith(start)


def test_parse_mode_accepts_no_permissions_at_all():
    """0000 is a mode (nobody may run the binary): in range, no special bits, nobody may write."""
    assert parse_mode("0000") == 0


class _Clock:
    """A monotonic clock that only moves when the code under test sleeps (or by ``tick`` per reading)."""

    def __init__(self, monkeypatch, tick=0.0):
        import time

        self.now, self.tick, self.sleeps = 1000.0, tick, []
        monkeypatch.setattr(time, "monotonic", self.monotonic)
        monkeypatch.setattr(time, "sleep", self.sleep)

    def monotonic(self):
        self.now += self.tick
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_lock_held_elsewhere_is_retried_often_then_given_up(root, monkeypatch):
    """A run waiting for the lock retries it many times a second and gives up once lock_timeout has passed."""
    import fcntl

    from ansible_collections.gosvc.hardening.plugins.module_utils._release import RootLock

    path = str(root / ".lock")
    with open(path, "w") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_SH)
        clock = _Clock(monkeypatch)
        with pytest.raises(ReleaseError, match=r"\(waited 1 s\)"):
            RootLock(path, timeout=1).__enter__()
        assert len(clock.sleeps) >= 10 and 0.99 <= sum(clock.sleeps) <= 1.1
        clock.sleeps.clear()
        with pytest.raises(ReleaseError, match=r"\(waited 0 s\)"):
            RootLock(path, timeout=0).__enter__()
        assert clock.sleeps == []  # lock_timeout 0: one try, no wait, even when no time has passed


def test_a_lock_by_default_is_exclusive_created_and_awaited_60_seconds(root, monkeypatch):
    """RootLock's defaults: it creates the lock file, takes the lock alone, and waits 60 seconds for it."""
    import fcntl

    from ansible_collections.gosvc.hardening.plugins.module_utils._release import RootLock

    path = root / ".lock"
    with RootLock(str(path)) as lock:
        assert lock.fd is not None and path.is_file()
    with open(path) as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_SH)
        _Clock(monkeypatch)
        with pytest.raises(ReleaseError, match=r"\(waited 60 s\)"):
            RootLock(str(path)).__enter__()


def test_three_releases_are_kept_by_default(root):
    """Without keep, the three newest releases are kept (current and previous among them)."""
    for version in ("1", "2", "3", "4"):
        result = install_release(
            {key: value for key, value in params_for(root, version, *staged(root)).items() if key != "keep"}
        )
    assert result["pruned"] == ["1"]
    assert sorted(os.listdir(root / "releases")) == ["2", "3", "4"]
