# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_release.py when the tree changes under a run, or a step fails: what is refused, what is named.

Uses the trees and helpers of test_release_edges.py; binaries are random, digests come from hashlib.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import stat
import threading

import pytest
import test_release_edges as edges

from ansible_collections.gosvc.hardening.plugins.module_utils._release import (
    STATE_MAX_BYTES,
    Layout,
    ReleaseError,
    RootLock,
    State,
    check_root,
    install_release,
    parse_checksum,
    place_binary,
    read_current,
    read_state,
    rollback_release,
    switch_current,
    write_state,
)

pytestmark = edges.pytestmark
root = edges.root


def _rerun(root, first, **extra):
    """install_release of the release ``first`` (a result) again, from its staged file."""
    src = f"{root}/.staging/{first['sha256']}"
    return install_release(edges.params_for(root, first["current_version"], src, first["sha256"], **extra))


def _on_open(monkeypatch, path, change):
    """Call ``change()`` right before the first os.open of ``path``: the tree changes between two steps."""
    real_open = os.open
    done = []

    def changing_open(target, flags, *args, **kwargs):
        if os.fspath(target) == str(path) and not done:
            done.append(True)
            change()
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", changing_open)


# -- setting owner and mode: never through a link, never on something put in the way ----------------------------


def test_a_link_put_at_the_release_binary_is_refused_and_its_target_untouched(root, monkeypatch, tmp_path):
    """A symbolic link put where the release binary was is refused with the fix; the file it names keeps its mode."""
    first = edges.present(root, "1.0.0")
    binary = root / "releases" / "1.0.0" / "demo"
    os.chmod(binary, 0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"")
    os.chmod(elsewhere, 0o600)

    def plant():
        os.unlink(binary)
        os.symlink(elsewhere, binary)

    _on_open(monkeypatch, binary, plant)
    with pytest.raises(ReleaseError) as caught:
        _rerun(root, first)
    assert str(caught.value) == (
        f"{binary} is a symbolic link, so its owner and mode are not changed (that would change the file it points "
        f"to); something else writes to {binary.parent}: keep owner root (the default) so that no other user can, "
        "remove the link and run again"
    )
    assert edges.mode_of(elsewhere) == 0o600


def test_a_release_directory_that_vanishes_before_its_mode_is_set_is_named_with_the_reason(root, monkeypatch, tmp_path):
    """A release directory gone when its owner and mode are set is named with the system's reason."""
    first = edges.present(root, "1.0.0")
    release = root / "releases" / "1.0.0"
    os.chmod(release, 0o700)
    _on_open(monkeypatch, release, lambda: os.rename(release, tmp_path / "moved"))
    with pytest.raises(ReleaseError) as caught:
        _rerun(root, first)
    assert str(caught.value) == f"opening {release} to set its owner and mode failed: No such file or directory"


def test_a_new_release_directory_swapped_for_a_file_is_refused_and_the_file_untouched(root, monkeypatch, tmp_path):
    """A release directory replaced by a file right after it was made is refused; the file keeps its mode."""
    edges.present(root, "1.0.0")
    release = root / "releases" / "2.0.0"

    def plant():
        os.rename(release, tmp_path / "moved")
        release.write_bytes(b"planted")
        os.chmod(release, 0o600)

    _on_open(monkeypatch, release, plant)
    with pytest.raises(ReleaseError) as caught:
        edges.present(root, "2.0.0")
    assert str(caught.value) == f"{release} is not a directory; remove it and run again"
    assert edges.mode_of(release) == 0o600 and release.read_bytes() == b"planted"


def test_new_release_directories_are_never_more_open_than_0755(root, monkeypatch):
    """releases/ and releases/<version> are 0755 from the moment they exist, whatever the umask."""
    seen = {}
    real_open = os.open

    def recording_open(target, flags, *args, **kwargs):
        info = os.lstat(target) if os.path.lexists(target) else None
        if info is not None and stat.S_ISDIR(info.st_mode):
            seen.setdefault(os.fspath(target), stat.S_IMODE(info.st_mode))
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    old = os.umask(0)
    try:
        edges.present(root, "1.0.0")
    finally:
        os.umask(old)
    assert seen[f"{root}/releases"] == 0o755
    assert seen[f"{root}/releases/1.0.0"] == 0o755


@pytest.mark.parametrize("when", ["before the rename", "after the rename"])
def test_a_binary_replaced_while_it_is_installed_is_refused_naming_who_writes_there(tmp_path, monkeypatch, when):
    """A verified binary replaced before or after its rename is refused, naming the directory someone else writes to."""
    src, digest = edges.staged(tmp_path)
    release = tmp_path / "releases" / "1"
    release.mkdir(parents=True)
    replaced = []

    def replace(path):
        os.unlink(path)
        with open(path, "wb") as handle:
            handle.write(b"planted")
        replaced.append(os.fspath(path))

    if when == "before the rename":
        real_fchmod = os.fchmod

        def fchmod(fd, mode):
            real_fchmod(fd, mode)
            (temp,) = [name for name in os.listdir(release) if name.startswith(".go_release.bin.")]
            replace(release / temp)

        monkeypatch.setattr(os, "fchmod", fchmod)
    else:
        real_rename = os.rename

        def rename(source, dest):
            real_rename(source, dest)
            replace(dest)

        monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(ReleaseError) as caught:
        place_binary(src, str(release), "demo", parse_checksum(digest), 0, 0, 0o755)
    assert str(caught.value) == (
        f"{replaced[0]} was replaced while it was being installed (it is no longer the verified file); something "
        f"else writes to {release}: keep owner root (the default) so that no other user can, and run again"
    )


def test_a_read_error_while_hashing_the_binary_is_named_with_the_reason(tmp_path, monkeypatch):
    """An I/O error while the linked binary is read for its digest is named with the system's reason."""
    src, digest = edges.staged(tmp_path)
    release = tmp_path / "releases" / "1"
    release.mkdir(parents=True)

    def failing(fd, blocking):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "set_blocking", failing)
    with pytest.raises(ReleaseError) as caught:
        place_binary(src, str(release), "demo", parse_checksum(digest), 0, 0, 0o755)
    message = str(caught.value)
    assert message.startswith(f"reading {release}/.go_release.bin.")
    assert message.endswith(" failed: Input/output error")
    assert os.listdir(release) == []


# -- hashing ------------------------------------------------------------------------------------------------------


def test_an_unrecorded_release_that_cannot_be_hashed_is_named(root, monkeypatch):
    """A release found without a record whose binary cannot be hashed is named with the reason."""
    edges.present(root, "1.0.0")
    edges.present(root, "2.0.0")
    os.unlink(root / ".releases.json")
    binary = root / "releases" / "1.0.0" / "demo"
    edges._fifo_at_first_open(monkeypatch, binary)
    with pytest.raises(ReleaseError) as caught:
        rollback_release({"root": str(root), "binary_name": "demo"})
    assert str(caught.value) == (
        f"hashing the unrecorded release binary {binary}: file to verify {binary} is not a regular file "
        "(a device, FIFO or socket)"
    )


def test_a_staged_binary_removed_during_a_rerun_lets_the_installed_binary_be_hashed(root, monkeypatch):
    """When the staged file vanishes after it was verified, a re-run hashes the installed binary instead."""
    first = edges.present(root, "1.0.0")
    src = f"{root}/.staging/{first['sha256']}"
    binary = f"{root}/releases/1.0.0/demo"
    real_stat = os.stat

    def stat_(path, *args, **kwargs):
        if os.fspath(path) == binary and os.path.exists(src):
            os.unlink(src)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_)
    again = _rerun(root, first)
    assert (again["changed"], again["installed"], again["sha256"]) == (False, False, first["sha256"])
    assert not os.path.exists(src)


# -- leftovers of an interrupted run ------------------------------------------------------------------------------


def test_leftovers_are_removed_once_each_and_never_through_a_link(root, tmp_path):
    """Temporary names are looked for in the root, releases/ and real release directories only; each is removed once."""
    edges.present(root, "1.0.0")
    releases = root / "releases"
    prune = releases / ".go_release.prune.0123456789ab"
    prune.mkdir()
    (prune / ".go_release.bin.0123456789ab").write_bytes(b"")
    inside = releases / "1.0.0" / ".go_release.bin.ba9876543210"
    inside.write_bytes(b"")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".go_release.state.0123456789ab").write_bytes(b"")
    os.symlink(outside, releases / "linked")
    result = edges.present(root, "2.0.0")
    assert [action for action in result["actions"] if action.endswith("(left over by an interrupted run)")] == [
        f"remove {prune} (left over by an interrupted run)",
        f"remove {inside} (left over by an interrupted run)",
    ]
    assert not prune.exists() and not inside.exists()
    assert os.listdir(outside) == [".go_release.state.0123456789ab"]


def test_a_temporary_state_file_gone_before_its_rename_fails_with_the_rename_error(root, monkeypatch):
    """If the temporary state file is removed before its rename, the rename's own error is raised."""
    real_rename = os.rename

    def rename(source, dest):
        if os.path.basename(source).startswith(".go_release.state."):
            os.unlink(source)
        return real_rename(source, dest)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(FileNotFoundError):
        write_state(Layout(str(root)), State([], None, None))
    assert os.listdir(root) == []


# -- the state file and current ------------------------------------------------------------------------------------


def test_a_state_file_that_does_not_end_is_refused_at_the_size_limit(root):
    """The state file is read only up to its limit: a FIFO that keeps writing is refused, not read to its end."""
    fifo = root / ".releases.json"
    os.mkfifo(fifo)
    release = threading.Event()
    outcome = []

    def writer():
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as handle:
            # One byte over the limit, and the pipe is kept open: only a bounded read returns before it closes.
            handle.write(b" " * (STATE_MAX_BYTES + 1))
            handle.flush()
            outcome.append("released" if release.wait(3) else "timed out")

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with pytest.raises(ReleaseError, match=f"is larger than {STATE_MAX_BYTES} bytes"):
            read_state(Layout(str(root)), "demo")
    finally:
        release.set()
        with contextlib.suppress(OSError):  # a writer still waiting for a reader is let go
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        thread.join()
    assert outcome == ["released"]


@pytest.mark.parametrize("name", ["demoX", "demo "])
def test_an_absolute_current_names_its_release_whatever_the_root_ends_with(tmp_path, name):
    """An absolute current under the root names its release, whatever the last character of the root's name."""
    root = tmp_path / name
    (root / "releases" / "1.0.0").mkdir(parents=True)
    os.symlink(f"{root}/releases/1.0.0", root / "current")
    assert read_current(Layout(str(root))).version == "1.0.0"


# -- the lock ------------------------------------------------------------------------------------------------------


def test_a_lock_the_file_system_refuses_is_named_with_the_reason(root, monkeypatch):
    """A lock that fails for another reason than another holder is named with the reason, and not retried."""

    def flock(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", flock)
    lock = RootLock(str(root / ".lock"), timeout=60)
    with pytest.raises(ReleaseError) as caught:
        lock.__enter__()
    assert str(caught.value) == f"locking {root}/.lock failed: No locks available"
    assert lock.fd is None


# -- input -----------------------------------------------------------------------------------------------------------


def test_a_missing_checksum_is_named_with_the_form_to_give():
    """state=present without checksum says it is required and how to give it."""
    with pytest.raises(ReleaseError) as caught:
        parse_checksum(None)
    assert str(caught.value) == (
        "checksum is required with state=present; give the verified digest as sha256:<64 hex digits>"
    )


@pytest.mark.parametrize("value", ["/X", "/XX/X"])
def test_only_the_file_system_root_is_refused_as_root(value):
    """Any directory but / itself is a release root, whatever its name is made of."""
    assert check_root(value) == value


# -- what a run says it does --------------------------------------------------------------------------------------


def test_a_first_install_lists_every_step(root):
    """A first install reports each directory it creates, the binary and where from, the state file and current."""
    src, digest = edges.staged(root)
    result = install_release(edges.params_for(root, "1.0.0", src, digest))
    assert result["actions"] == [
        f"create {root}/releases",
        f"create {root}/releases/1.0.0",
        f"install {root}/releases/1.0.0/demo from {src}",
        f"write {root}/.releases.json",
        f"create {root}/current -> releases/1.0.0",
    ]


def test_pruning_names_each_release_and_staged_file_it_removes(root):
    """Pruning reports each release directory and each staged binary it removes."""
    first = edges.present(root, "1.0.0")
    edges.present(root, "2.0.0")
    result = edges.present(root, "3.0.0", keep=1)
    assert result["pruned"] == ["1.0.0"]
    assert result["actions"][-2:] == [
        f"remove release 1.0.0 ({root}/releases/1.0.0)",
        f"remove the staged file {root}/.staging/{first['sha256']} (no kept release uses it)",
    ]


def test_a_rerun_fixes_the_owner_and_mode_of_an_installed_release_and_says_so(root):
    """An installed release whose directory and binary lost their mode gets them back, each named with its mode."""
    first = edges.present(root, "1.0.0", mode="0750")
    release = root / "releases" / "1.0.0"
    os.chmod(release, 0o700)
    os.chmod(release / "demo", 0o700)
    again = _rerun(root, first, mode="0750")
    assert again["actions"] == [
        f"set owner, group and mode 0755 of {release}",
        f"set owner, group and mode 0750 of {release}/demo",
    ]
    assert (edges.mode_of(release), edges.mode_of(release / "demo")) == (0o755, 0o750)


def test_an_empty_release_directory_with_the_right_attributes_is_reused_as_it_is(root):
    """An empty release directory that already has owner root and mode 0755 is reused without touching it."""
    (root / "releases" / "1.0.0").mkdir(parents=True)
    os.chmod(root / "releases" / "1.0.0", 0o755)
    src, digest = edges.staged(root)
    result = install_release(edges.params_for(root, "1.0.0", src, digest))
    assert result["actions"] == [
        f"install {root}/releases/1.0.0/demo from {src}",
        f"write {root}/.releases.json",
        f"create {root}/current -> releases/1.0.0",
    ]


# -- re-running an installed release ------------------------------------------------------------------------------


def test_a_rerun_reads_a_state_file_without_binary_names(root):
    """A state file written before binary names were recorded is read on install with the binary_name given."""
    first = edges.present(root, "1.0.0")
    state_path = root / ".releases.json"
    state = json.loads(state_path.read_text())
    for release in state["releases"]:
        del release["binary_name"]
    state_path.write_text(json.dumps(state))
    again = _rerun(root, first)
    assert (again["current_version"], again["changed"]) == ("1.0.0", False)


def test_an_installed_binary_modified_since_is_refused_with_both_digests(root):
    """A release binary whose content changed after it was installed is refused; the error carries both digests."""
    first = edges.present(root, "1.0.0")
    binary = root / "releases" / "1.0.0" / "demo"
    os.unlink(binary)
    binary.write_bytes(b"tampered")
    with pytest.raises(ReleaseError) as caught:
        _rerun(root, first)
    actual = hashlib.sha256(b"tampered").hexdigest()
    assert caught.value.details == {"path": str(binary), "expected": first["sha256"], "actual": actual}
    assert str(caught.value).startswith(f"the binary {binary} of release 1.0.0 was modified after it was installed")


def test_an_installed_version_with_another_checksum_is_refused_with_both_digests(root):
    """A version installed with other content is refused; the error carries the checksum given and the actual."""
    first = edges.present(root, "1.0.0")
    src, digest = edges.staged(root)
    with pytest.raises(ReleaseError) as caught:
        install_release(edges.params_for(root, "1.0.0", src, digest))
    binary = f"{root}/releases/1.0.0/demo"
    assert caught.value.details == {"path": binary, "expected": digest, "actual": first["sha256"]}
    assert str(caught.value) == (
        f"release 1.0.0 already installed with sha256 {first['sha256']}; releases are immutable: bump "
        f"go_service_version or remove {root}/releases/1.0.0 (checksum is sha256:{digest})"
    )


def test_an_unrecorded_release_installed_again_is_recorded_with_its_install_time(root):
    """A release found installed but not recorded, installed again, is recorded as newest with the time it was seen."""
    import re

    first = edges.present(root, "1.0.0")
    os.unlink(root / ".releases.json")
    again = _rerun(root, first)
    assert f"record release 1.0.0 (installed but not in {root}/.releases.json)" in again["actions"]
    (recorded,) = again["releases"]
    assert recorded["version"] == "1.0.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", recorded["installed_at"])


def test_installing_the_release_current_was_rolled_back_to_changes_nothing(root):
    """Re-running install of the release a rollback went to changes nothing and keeps the rollback record."""
    first = edges.present(root, "1.0.0")
    edges.present(root, "2.0.0")
    rollback_release({"root": str(root)})
    recorded = json.loads((root / ".releases.json").read_text())["rolled_back"]
    again = _rerun(root, first)
    assert (again["changed"], again["actions"]) == (False, [])
    assert json.loads((root / ".releases.json").read_text())["rolled_back"] == recorded


def test_the_staged_file_given_as_src_is_never_pruned_whatever_its_name(root):
    """src is kept even when its name is a digest no release uses."""
    content = os.urandom(3000)
    src = root / ".staging" / ("0" * 64)
    src.parent.mkdir()
    src.write_bytes(content)
    result = install_release(edges.params_for(root, "1.0.0", str(src), hashlib.sha256(content).hexdigest()))
    assert result["pruned_staging"] == []
    assert src.read_bytes() == content


# -- switching current --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["current is a directory", "the new link vanished"])
def test_a_switch_that_fails_raises_its_own_error_and_leaves_no_link(root, monkeypatch, case):
    """When current cannot be replaced, the rename's error is raised and no temporary link is left."""
    (root / "releases" / "1.0.0").mkdir(parents=True)
    if case == "current is a directory":
        (root / "current" / "in-use").mkdir(parents=True)
        expected = IsADirectoryError
    else:
        real_rename = os.rename

        def rename(source, dest):
            os.unlink(source)
            return real_rename(source, dest)

        monkeypatch.setattr(os, "rename", rename)
        expected = FileNotFoundError
    with pytest.raises(expected):
        switch_current(Layout(str(root)), "1.0.0")
    assert not [name for name in os.listdir(root) if name.startswith(".go_release.")]


def test_leftovers_inside_a_release_directory_are_found_wherever_the_run_starts(tmp_path, monkeypatch):
    """find_temp_files looks in root, releases/ and each releases/<version>/, never in the working directory."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._release import TEMP_PREFIX, find_temp_files

    tree = tmp_path / "opt" / "demo"
    (tree / "releases" / "1.0.0").mkdir(parents=True)
    (tree / "releases" / "1.0.0" / f"{TEMP_PREFIX}abc").write_bytes(b"partial")
    (tree / f"{TEMP_PREFIX}state").write_bytes(b"{}")
    elsewhere = tmp_path / "cwd"
    (elsewhere / f"{TEMP_PREFIX}not-ours").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    assert sorted(find_temp_files(Layout(str(tree)))) == [
        str(tree / f"{TEMP_PREFIX}state"),
        str(tree / "releases" / "1.0.0" / f"{TEMP_PREFIX}abc"),
    ]
