# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_probe's ``runtime``: what the installed binary needs from a host, for a fleet audit.

On real ELF files: this machine's /usr/bin/true (glibc, dynamic), the musl-linked and 32-bit glibc
programs in tests/unit/data/go/runnable (see its README), and a static Go build made here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import GO, go_env, needs_go, run, skip_no_go

from ansible_collections.gosvc.hardening.plugins.module_utils._goelf import read_requirements
from ansible_collections.gosvc.hardening.plugins.module_utils._service_probe import runtime_result

DATA = Path(__file__).resolve().parents[2] / "data" / "go"


def test_a_glibc_program_reports_the_newest_glibc_it_needs():
    """A dynamically linked glibc program: not static, needs_glibc is the newest GLIBC_x.y it asks for."""
    needs = read_requirements("/usr/bin/true")
    newest = needs["needs_glibc"]
    assert newest and newest[0].isdigit()
    assert runtime_result("/usr/bin/true") == {
        "static": False,
        "needs_glibc": newest,
        "libc": "glibc",
        "interpreter": needs["interpreter"],
        "needed": ["libc.so.6"],
        "arch": needs["arch"],
    }


@pytest.mark.parametrize(
    ("name", "libc", "interpreter", "arch"),
    [
        ("hello-musl-x86_64", "musl", "/lib/ld-musl-x86_64.so.1", "x86_64"),
        ("hello-glibc-i386", "glibc", "/lib/ld-linux.so.2", "i386"),
    ],
)
def test_other_c_libraries_and_classes_are_named(name, libc, interpreter, arch):
    """A musl build names musl and needs no glibc; a 32-bit build names its own loader and architecture."""
    runtime = runtime_result(str(DATA / "runnable" / name))
    assert runtime["static"] is False
    assert (runtime["libc"], runtime["interpreter"], runtime["arch"]) == (libc, interpreter, arch)
    assert (runtime["needs_glibc"] is None) == (libc == "musl")


def test_a_file_that_is_not_elf_reports_why(tmp_path):
    """A script or a damaged file gives an error, not a traceback or an empty answer."""
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    runtime = runtime_result(str(script))
    assert list(runtime) == ["error"] and runtime["error"].startswith("it is not an ELF file")
    assert runtime_result(str(tmp_path / "absent"))["error"].startswith("it cannot be read")


@needs_go
@skip_no_go
def test_a_static_go_build_needs_nothing(tmp_path):
    """CGO_ENABLED=0: static, no interpreter, no library, no glibc: it runs on any Linux host of its arch."""
    src = tmp_path / "src"
    shutil.copytree(DATA / "cgohello", src)
    out = tmp_path / "static"
    proc = run([GO, "build", "-o", str(out), "."], cwd=src, env=go_env(CGO_ENABLED="0"))
    assert proc.returncode == 0, proc.stderr
    runtime = runtime_result(str(out))
    assert runtime["static"] is True
    assert runtime["needs_glibc"] is None and runtime["libc"] is None
    assert runtime["interpreter"] is None and runtime["needed"] == []
