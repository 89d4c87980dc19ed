# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_binary_info's runnability facts (static, needs_glibc, requirements) and its require_runnable option.

Run through the real AnsibleModule on Go binaries built here from tests/unit/data/go/cgohello: a
CGO_ENABLED=1 build (dynamically linked against this machine's glibc), a CGO_ENABLED=0 build (static)
and a cross build for an architecture this machine is not. ``readelf`` is the oracle for the
interpreter and DT_NEEDED; this machine itself is the host that require_runnable checks against.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from support import GO, go_env, needs_go, run, skip_no_go

from ansible_collections.gosvc.hardening.plugins.module_utils import _goelf
from ansible_collections.gosvc.hardening.plugins.modules import go_binary_info

DATA = Path(__file__).resolve().parents[2] / "data" / "go"
READELF = shutil.which("readelf")
# A GOARCH this machine cannot run, and what the rule should say about it.
FOREIGN = "amd64" if os.uname().machine in ("aarch64", "arm64") else "arm64"


@pytest.fixture(scope="session")
def builds(tmp_path_factory):
    if GO is None:
        pytest.skip("the go tool is not installed")
    if shutil.which("gcc") is None:
        pytest.skip("a CGO build needs a C compiler and gcc is not installed")
    root = tmp_path_factory.mktemp("go_binary_info_runnable")
    out = {}
    for name, env in (
        ("cgo", {"CGO_ENABLED": "1"}),
        ("static", {"CGO_ENABLED": "0"}),
        ("foreign", {"CGO_ENABLED": "0", "GOARCH": FOREIGN}),
    ):
        src = root / f"{name}-src"
        shutil.copytree(DATA / "cgohello", src)
        out[name] = root / name
        proc = run([GO, "build", "-o", str(out[name]), "."], cwd=src, env=go_env(**env))
        assert proc.returncode == 0, proc.stderr
    return out


@needs_go
@skip_no_go
def test_cgo_build_is_dynamic_and_needs_glibc(run_module, builds):
    result = run_module(go_binary_info, {"path": str(builds["cgo"])})
    assert result.get("failed") is not True
    assert result["static"] is False
    req = result["requirements"]
    assert req == _goelf.read_requirements(str(builds["cgo"]))
    assert req["needed"] == ["libc.so.6"]
    assert result["needs_glibc"] == req["needs_glibc"]
    assert re.fullmatch(r"2\.\d+", result["needs_glibc"])
    assert req["go"]["cgo_enabled"] is True
    assert "runnable_problems" not in result  # only with require_runnable
    if READELF:
        listing = run([READELF, "-lW", str(builds["cgo"])]).stdout
        assert f"[Requesting program interpreter: {req['interpreter']}]" in listing


@needs_go
@skip_no_go
def test_static_build(run_module, builds):
    result = run_module(go_binary_info, {"path": str(builds["static"])})
    assert result["static"] is True
    assert result["needs_glibc"] is None
    assert result["requirements"]["interpreter"] is None
    assert result["requirements"]["needed"] == []


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["cgo", "static"])
def test_require_runnable_passes_for_builds_of_this_machine(run_module, builds, name):
    result = run_module(go_binary_info, {"path": str(builds[name]), "require_runnable": True})
    assert result.get("failed") is not True, result.get("msg")
    assert result["runnable_problems"] == []
    assert result["violations"] == []


@needs_go
@skip_no_go
def test_require_runnable_refuses_another_architecture(run_module, builds):
    path = str(builds["foreign"])
    result = run_module(go_binary_info, {"path": path, "require_runnable": True}, check_mode=True)
    assert result["failed"] is True
    arch = _goelf.read_requirements(path)["arch"]
    host_goarch = run([GO, "env", "GOHOSTARCH"], env=go_env()).stdout.strip()
    problem = (
        f"{path} is a linux/{FOREIGN} ({arch}) binary; this host is {os.uname().machine}: "
        f"build it with GOOS=linux GOARCH={host_goarch}"
    )
    assert result["runnable_problems"] == [problem]
    assert result["violations"] == [f"require_runnable: {problem}"]
    assert result["msg"].endswith(f"1 violation: require_runnable: {problem}")


@needs_go
@skip_no_go
def test_requirements_are_json_as_returned(run_module, builds):
    result = run_module(go_binary_info, {"path": str(builds["cgo"])})
    assert json.loads(json.dumps(result["requirements"])) == result["requirements"]
