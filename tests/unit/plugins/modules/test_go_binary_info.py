# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the go_binary_info module, run through the real AnsibleModule.

The Go binaries are built during the session with the installed ``go`` from
tests/unit/data/go/hello: one with default flags inside a git checkout with an
uncommitted change (so it breaks every policy rule), one hardened
(CGO_ENABLED=0, -trimpath, -ldflags "-s -w", clean checkout). ``go version -m``
is the oracle for what the module reads.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support import GO, go_env, needs_go, run, skip_no_go

from ansible_collections.gosvc.hardening.plugins.modules import go_binary_info

DATA = Path(__file__).resolve().parents[2] / "data" / "go"


ALL_POLICY = {
    "require_trimpath": True,
    "require_cgo_disabled": True,
    "require_stripped": True,
    "forbid_vcs_modified": True,
}


def build(root, name, env, args, dirty):
    src = root / name
    shutil.copytree(DATA / "hello", src)
    git_env = dict(os.environ, GIT_AUTHOR_DATE="2024-01-02T03:04:05Z", GIT_COMMITTER_DATE="2024-01-02T03:04:05Z")
    for cmd in (
        ["init", "-q"],
        ["config", "user.name", "gosvc test"],
        ["config", "user.email", "gosvc-test@example.invalid"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "initial"],
    ):
        proc = run(["git", *cmd], cwd=src, env=git_env)
        assert proc.returncode == 0, proc.stderr
    if dirty:
        with open(src / "main.go", "a") as fh:
            fh.write("\n// uncommitted change\n")
    out = root / f"{name}.bin"
    proc = run([GO, "build", "-o", str(out), *args, "."], cwd=src, env=go_env(**env))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def binaries(tmp_path_factory):
    if GO is None:
        pytest.skip("the go tool is not installed")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("go_binary_info")
    return {
        "weak": build(root, "weak", {"CGO_ENABLED": "1"}, [], dirty=True),
        "hardened": build(root, "hardened", {"CGO_ENABLED": "0"}, ["-trimpath", "-ldflags=-s -w"], dirty=False),
    }


def go_version_m(binary):
    """``go version -m`` output as (go version, path, mod line fields, build settings)."""
    proc = run([GO, "version", "-m", str(binary)], env=go_env())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    version = lines[0].split(": ", 1)[1]
    path, mod, settings = "", None, {}
    for line in lines[1:]:
        fields = line[1:].split("\t")
        if fields[0] == "path":
            path = fields[1]
        elif fields[0] == "mod":
            mod = fields[1:]
        elif fields[0] == "build":
            key, _sep, value = fields[1].partition("=")
            settings[key] = json.loads(value) if value.startswith('"') else value
    return version, path, mod, settings


def next_minor(binary):
    """The Go release after the one that built ``binary``, e.g. "1.20" for go1.19.8."""
    major, minor = go_version_m(binary)[0][2:].split(".")[:2]
    return f"{major}.{int(minor) + 1}"


def assert_clean_failure(result, *fragments):
    assert result["failed"] is True
    assert "exception" not in result  # a handled error, not a traceback
    for fragment in fragments:
        assert fragment in result["msg"]


# -- reading -----------------------------------------------------------------------------


@needs_go
@skip_no_go
@pytest.mark.parametrize("name", ["weak", "hardened"])
def test_reads_what_go_version_m_prints(run_module, binaries, name):
    result = run_module(go_binary_info, {"path": str(binaries[name])})
    version, path, mod, settings = go_version_m(binaries[name])
    assert result.get("failed") is not True
    assert result["changed"] is False
    assert result["is_go"] is True
    assert result["go_version"] == version
    assert result["path"] == path
    assert [result["main"]["path"], result["main"]["version"], result["main"]["sum"]] == mod
    assert result["settings"] == settings
    assert result["violations"] == []


@needs_go
@skip_no_go
def test_check_mode_returns_the_same_facts(run_module, binaries):
    normal = run_module(go_binary_info, {"path": str(binaries["weak"])})
    checked = run_module(go_binary_info, {"path": str(binaries["weak"])}, check_mode=True)
    for key in ("go_version", "path", "main", "deps", "settings", "flags", "stripped", "dwarf_sections", "elf"):
        assert checked[key] == normal[key]
    assert checked["changed"] is False


@needs_go
@skip_no_go
def test_weak_binary_facts(run_module, binaries):
    result = run_module(go_binary_info, {"path": str(binaries["weak"]), "max_build_path_examples": 2})
    assert result["flags"]["trimpath"] is False
    assert result["flags"]["cgo_enabled"] is True
    assert result["flags"]["vcs"]["modified"] is True
    assert result["stripped"] is False
    assert result["has_dwarf"] is True
    assert result["build_paths_leaked"] is True
    assert len(result["build_path_examples"]) == 2
    assert result["build_path_examples"][0].endswith("/weak/main.go")


@needs_go
@skip_no_go
def test_scan_build_paths_off(run_module, binaries):
    result = run_module(go_binary_info, {"path": str(binaries["weak"]), "scan_build_paths": False})
    assert result["build_paths_leaked"] is None
    assert result["build_path_examples"] == []
    assert result["build_path_scan"] is None


# -- policy ------------------------------------------------------------------------------


@needs_go
@skip_no_go
def test_hardened_binary_passes_every_rule(run_module, binaries):
    go_version = go_version_m(binaries["hardened"])[0]
    args = dict(ALL_POLICY, path=str(binaries["hardened"]), min_go_version=go_version)
    result = run_module(go_binary_info, args)
    assert result.get("failed") is not True, result.get("msg")
    assert result["violations"] == []
    assert result["flags"]["vcs"]["modified"] is False


@needs_go
@skip_no_go
def test_every_violation_is_listed_together(run_module, binaries):
    newer = next_minor(binaries["weak"])
    result = run_module(go_binary_info, dict(ALL_POLICY, path=str(binaries["weak"]), min_go_version=newer))
    assert_clean_failure(result, "6 violations")
    rules = [v.split(":", 1)[0] for v in result["violations"]]
    assert rules == [
        "require_trimpath",
        "require_cgo_disabled",
        "require_stripped",
        "require_stripped",
        "min_go_version",
        "forbid_vcs_modified",
    ]
    for violation in result["violations"]:
        assert violation in result["msg"]
    # The facts come back with the failure, for the report.
    assert result["go_version"] and result["settings"]


@needs_go
@skip_no_go
@pytest.mark.parametrize(
    ("option", "value", "fragments"),
    [
        ("require_trimpath", True, ["require_trimpath: built without -trimpath"]),
        ("require_cgo_disabled", True, ["require_cgo_disabled: built with CGO_ENABLED=1"]),
        (
            "require_stripped",
            True,
            ["require_stripped: the file has a symbol table", "require_stripped: the file carries DWARF"],
        ),
        ("min_go_version", "next minor", ["min_go_version: built with go"]),
        ("forbid_vcs_modified", True, ["forbid_vcs_modified: built from a modified working tree"]),
    ],
)
def test_each_violation(run_module, binaries, option, value, fragments):
    if value == "next minor":
        value = next_minor(binaries["weak"])
        fragments = [*fragments, f"older than {value}"]
    result = run_module(go_binary_info, {"path": str(binaries["weak"]), option: value})
    assert_clean_failure(result, *fragments)
    fragments = [f for f in fragments if ": " in f]
    # One violation per fragment, each starting with its fragment.
    assert len(result["violations"]) == len(fragments)
    for violation, fragment in zip(result["violations"], fragments):
        assert violation.startswith(fragment)


@needs_go
@skip_no_go
def test_min_go_version_boundaries(run_module, binaries):
    go_version = go_version_m(binaries["weak"])[0]  # e.g. go1.19.8
    major, minor, patch = (int(x) for x in go_version[2:].split(".")[:3])
    path = str(binaries["weak"])
    for ok in (go_version, f"{major}.{minor}", f"go{major}.{minor}.{patch}", f"{major}.{minor}rc1"):
        result = run_module(go_binary_info, {"path": path, "min_go_version": ok})
        assert result.get("failed") is not True, (ok, result.get("msg"))
    for too_new in (f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}rc1", f"{major}.{minor + 1}"):
        result = run_module(go_binary_info, {"path": path, "min_go_version": too_new})
        assert_clean_failure(result, f"older than {too_new}")


def test_invalid_min_go_version(run_module):
    result = run_module(go_binary_info, {"path": shutil.which("ls"), "min_go_version": "latest"})
    assert_clean_failure(result, "min_go_version 'latest' is not a Go version", "1.21")


def test_negative_max_build_path_examples(run_module):
    result = run_module(go_binary_info, {"path": shutil.which("ls"), "max_build_path_examples": -1})
    assert_clean_failure(result, "max_build_path_examples")


# -- files that are not Go binaries --------------------------------------------------------


def test_non_go_elf_fails_by_default(run_module):
    ls = shutil.which("ls")
    result = run_module(go_binary_info, {"path": ls})
    assert_clean_failure(result, f"Reading Go build information from {ls}: not a Go binary")
    assert result["is_go"] is False
    assert result["elf"]["class"] == "ELF64"


def test_non_go_elf_reported_when_allowed(run_module):
    result = run_module(go_binary_info, dict(ALL_POLICY, path=shutil.which("ls"), fail_on_not_go=False))
    assert result.get("failed") is not True
    assert result["is_go"] is False
    assert result["not_go_reason"].startswith("not a Go binary")
    assert result["violations"] == []
    assert result["go_markers"] == []
    assert "go_version" not in result


def test_non_elf_file(run_module):
    text = str(DATA / "hello" / "main.go")
    result = run_module(go_binary_info, {"path": text})
    assert_clean_failure(result, "not an ELF file")
    allowed = run_module(go_binary_info, {"path": text, "fail_on_not_go": False})
    assert allowed["is_go"] is False and "elf" not in allowed


def test_empty_file(run_module, tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert_clean_failure(run_module(go_binary_info, {"path": str(empty)}), "the file is empty")


@needs_go
@skip_no_go
def test_truncated_go_binary_always_fails(run_module, binaries, tmp_path):
    data = binaries["hardened"].read_bytes()
    short = tmp_path / "short"
    short.write_bytes(data[: len(data) // 2])
    result = run_module(go_binary_info, {"path": str(short), "fail_on_not_go": False})
    assert_clean_failure(result, "truncated")


def test_missing_file(run_module, tmp_path):
    missing = tmp_path / "missing"
    assert_clean_failure(run_module(go_binary_info, {"path": str(missing)}), "No such file or directory")


def test_directory(run_module, tmp_path):
    assert_clean_failure(run_module(go_binary_info, {"path": str(tmp_path)}), f"from {tmp_path}:")
