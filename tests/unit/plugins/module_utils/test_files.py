# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_files.py: directories with exact modes, and atomic writes that leave nothing behind."""

from __future__ import annotations

import errno
import hashlib
import os
import stat

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _files


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_make_dirs_gives_every_missing_directory_exactly_the_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        _files.make_dirs(str(tmp_path / "a" / "b" / "c"), 0o750)
    finally:
        os.umask(old)
    for path in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o750


def test_make_dirs_keeps_an_existing_directory_and_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "kept").mkdir(mode=0o700)
    _files.make_dirs(str(tmp_path / "kept" / "new"))
    assert stat.S_IMODE((tmp_path / "kept").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "kept" / "new").stat().st_mode) == 0o755
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        _files.make_dirs(str(tmp_path / "file" / "sub"))


def test_unlink_if_there_removes_a_file_and_accepts_one_already_gone(tmp_path):
    path = tmp_path / "f"
    path.write_text("x")
    _files.unlink_if_there(str(path))
    assert not path.exists()
    _files.unlink_if_there(str(path))


def test_fsync_dir_accepts_a_file_system_that_cannot_sync_a_directory(tmp_path, monkeypatch):
    def no_fsync(fd):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(_files.os, "fsync", no_fsync)
    before = _open_fds()
    _files.fsync_dir(str(tmp_path))
    assert _open_fds() == before


def test_a_temp_file_discarded_leaves_nothing(tmp_path):
    with _files.TempFile(str(tmp_path)) as temp:
        temp.handle.write(b"partial")
        assert os.path.basename(temp.path).startswith(_files.TMP_PREFIX)
    assert list(tmp_path.iterdir()) == []


def test_a_temp_file_installed_is_the_final_file_with_its_mode_and_is_not_removed_after(tmp_path):
    final = tmp_path / "report.json"
    with _files.TempFile(str(tmp_path)) as temp:
        temp.handle.write(b"{}")
        temp.finish(0o640)
        temp.install(str(final))
        assert temp.path is None
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert final.read_bytes() == b"{}" and stat.S_IMODE(final.stat().st_mode) == 0o640


def test_same_file_needs_a_regular_file_with_the_digest_and_the_mode(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"data")
    path.chmod(0o644)
    digest = hashlib.sha256(b"data").hexdigest()
    assert _files.same_file(str(path), digest, 0o644)
    assert not _files.same_file(str(path), digest, 0o600)
    assert not _files.same_file(str(path), hashlib.sha256(b"other").hexdigest(), 0o644)
    assert not _files.same_file(str(tmp_path / "missing"), digest, 0o644)
    (tmp_path / "link").symlink_to(path)
    assert not _files.same_file(str(tmp_path / "link"), digest, 0o644)


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_write_bytes_writes_once_with_the_exact_mode_and_leaves_no_temporary_file(tmp_path, umask):
    final = tmp_path / "out.json"
    old = os.umask(umask)
    try:
        assert _files.write_bytes(str(final), b"one", 0o644) is True
        inode = final.stat().st_ino
        assert _files.write_bytes(str(final), b"one", 0o644) is False
        assert final.stat().st_ino == inode
        assert _files.write_bytes(str(final), b"two", 0o644) is True
    finally:
        os.umask(old)
    assert final.read_bytes() == b"two" and stat.S_IMODE(final.stat().st_mode) == 0o644
    assert final.stat().st_ino != inode
    # Same content, another mode: written again, so the mode is what was asked.
    assert _files.write_bytes(str(final), b"two", 0o600) is True
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_bytes_replaces_a_link_in_the_way_instead_of_writing_through_it(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"keep")
    final = tmp_path / "out.json"
    final.symlink_to(target)
    assert _files.write_bytes(str(final), b"new", 0o644) is True
    assert not final.is_symlink() and final.read_bytes() == b"new"
    assert target.read_bytes() == b"keep"


def test_make_dirs_goes_on_below_a_directory_another_run_created_meanwhile(tmp_path, monkeypatch):
    real_mkdir = os.mkdir
    raced = str(tmp_path / "a")

    def racing_mkdir(path, mode=0o777):
        if path == raced and not os.path.isdir(path):
            real_mkdir(path, 0o700)  # the other run's directory, taken as it is
            raise FileExistsError(path)
        return real_mkdir(path, mode)

    monkeypatch.setattr(_files.os, "mkdir", racing_mkdir)
    _files.make_dirs(str(tmp_path / "a" / "b" / "c"))
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b" / "c").stat().st_mode) == 0o755
