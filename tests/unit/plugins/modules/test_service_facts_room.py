# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_facts' room check: a read-only file system or too little disk for the new release is refused in
preflight, before anything is written. The real mounts (a read-only /etc, a full tmpfs) are the host_faults
scenario's; here statvfs is the kernel's, or its read-only flag and free blocks are set where a test needs them."""

from __future__ import annotations

import os

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _service_facts as f
from ansible_collections.gosvc.hardening.plugins.modules import service_facts

MIB = 1 << 20


def _statvfs(monkeypatch, read_only=(), free=None):
    """os.statvfs as the kernel answers it, with ST_RDONLY set under ``read_only`` and ``free`` bytes free."""
    real = os.statvfs

    class Fake:
        def __init__(self, path):
            fs = real(path)
            self.f_flag = fs.f_flag | (os.ST_RDONLY if any(path.startswith(str(p)) for p in read_only) else 0)
            self.f_frsize = 4096
            self.f_bavail = fs.f_bavail * fs.f_frsize // 4096 if free is None else free // 4096

    monkeypatch.setattr(f.os, "statvfs", Fake)


def test_room_of_a_path_not_there_yet_is_its_nearest_existing_directory(tmp_path):
    room = f.room_facts([str(tmp_path / "opt" / "demo"), str(tmp_path)])
    assert room[str(tmp_path / "opt" / "demo")]["dir"] == str(tmp_path)
    assert room[str(tmp_path)]["read_only"] is False and room[str(tmp_path)]["free_bytes"] > 0


def test_a_read_only_file_system_names_its_directory_and_the_paths_under_it(tmp_path, monkeypatch):
    etc = tmp_path / "etc"
    (etc / "systemd" / "system").mkdir(parents=True)
    _statvfs(monkeypatch, read_only=[etc])
    writes = [str(etc / "systemd" / "system" / "demo.service"), str(etc / "demo" / "demo.env"), str(tmp_path / "o")]
    problems = f.room_problems(f.room_facts(writes))
    assert len(problems) == 2  # two directories, each once
    assert problems[0].startswith(f"{etc / 'systemd' / 'system'} is on a read-only file system")
    env = etc / "demo" / "demo.env"
    assert problems[1].startswith(f"{etc} is on a read-only file system, and this run writes {env}")
    assert "remount it read-write" in problems[0]


@pytest.mark.parametrize(
    ("free", "binary", "refused"),
    [(10 * MIB, 9 * MIB - 1, False), (10 * MIB, 9 * MIB + 4096, True), (100 * 1024, 0, False), (0, 1, True)],
    ids=["fits-with-the-slack", "short-of-the-slack", "no-release-written", "full"],
)
def test_the_release_must_fit_with_go_release_record(tmp_path, monkeypatch, free, binary, refused):
    _statvfs(monkeypatch, free=free)
    root = str(tmp_path / "opt" / "demo")
    problems = f.room_problems(f.room_facts([root]), root, binary)
    assert bool(problems) is refused
    if refused:
        assert f"{tmp_path} has " in problems[0] and f"the new release of {root} needs" in problems[0]
        assert "free some space there" in problems[0]


@pytest.mark.fault(
    case="3",
    name="no room for the release (preflight)",
    injected="service_facts sees the file system of the release root with less free space than the binary and 1 MiB",
    expected="preflight fails naming the directory, what is free and what is needed; nothing written",
)
def test_module_refuses_a_release_that_does_not_fit(run_module, tmp_path, monkeypatch, record_property):
    root = tmp_path / "opt" / "demo"
    _statvfs(monkeypatch, free=512 * 1024)
    args = {"release_root": str(root), "writes": [str(root)], "release_version": "2.0.0", "release_bytes": 4 * MIB}
    result = run_module(service_facts, args)
    assert result["failed"] and "has 512 KiB free" in result["msg"] and "needs 5.0 MiB" in result["msg"]
    assert result["msg"].endswith("Nothing on the host was changed.")
    assert result["room"][str(root)] == {"dir": str(tmp_path), "read_only": False, "free_bytes": 512 * 1024}
    assert not root.exists()
    record_property("observed", result["msg"].replace(str(tmp_path), "<tmp>"))
    # No release to write (the version asked for is installed, or none is): nothing to fit.
    assert not run_module(service_facts, dict(args, release_version=None)).get("failed")


def test_module_sizes_a_binary_on_the_host_itself(run_module, tmp_path, monkeypatch):
    binary = tmp_path / "demo"
    binary.write_bytes(b"\0" * (2 * MIB))
    _statvfs(monkeypatch, free=2 * MIB)
    root = str(tmp_path / "opt")
    result = run_module(
        service_facts,
        {"release_root": root, "writes": [root], "release_version": "1.0.0", "binary_path": str(binary)},
    )
    assert result["failed"] and "needs 3.0 MiB" in result["msg"]


@pytest.mark.fault(
    case="6",
    name="read-only /etc (preflight)",
    injected="service_facts sees the file system of the unit and environment file mounted read-only",
    expected="preflight fails naming the directory and the paths the run writes there; nothing written",
)
def test_module_refuses_a_read_only_etc(run_module, tmp_path, monkeypatch, record_property):
    etc = tmp_path / "etc"
    etc.mkdir()
    _statvfs(monkeypatch, read_only=[etc])
    result = run_module(service_facts, {"writes": [str(etc / "demo.service")]})
    assert result["failed"] and result["room"][str(etc / "demo.service")]["read_only"] is True
    assert f"{etc} is on a read-only file system, and this run writes {etc / 'demo.service'}" in result["msg"]
    record_property("observed", result["msg"].replace(str(tmp_path), "<tmp>"))
