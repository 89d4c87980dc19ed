# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_facts' runnable facts and require_runnable, and the requirements go_artifact hands it.

This test machine is the host: /usr/bin/true is a real dynamically linked glibc program it runs.
Requirements that this host cannot meet are that program's own requirements with one field changed
(a newer glibc symbol version, another architecture, a library it lacks), so each refusal names one
cause. Molecule's edges scenario proves the same on Debian 11, 12 and 13 with real Go builds.
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _goelf
from ansible_collections.gosvc.hardening.plugins.modules import go_artifact, service_facts

TRUE = "/usr/bin/true"
LABEL = "node_exporter 1.5.0"


@pytest.fixture(scope="module")
def true_needs():
    needs = _goelf.read_requirements(TRUE)
    assert needs["static"] is False and needs["libc"] == "glibc", "this test needs a glibc-linked /usr/bin/true"
    return needs


def facts(run_module, **params):
    return run_module(service_facts, dict({"binary_label": LABEL}, **params))


def test_a_binary_this_host_runs_has_no_problems(run_module, true_needs):
    """Requirements read elsewhere are checked against this host's loader, libraries and glibc."""
    result = facts(run_module, binary_requirements=true_needs, require_runnable=True)
    assert not result.get("failed"), result.get("msg")
    runnable = result["runnable"]
    assert runnable["problems"] == []
    assert runnable["requirements"] == true_needs
    assert runnable["host"]["interpreter"] == {"path": true_needs["interpreter"], "exists": True}
    assert runnable["host"]["glibc"]["release"]


def test_a_newer_glibc_symbol_version_is_refused_naming_both_versions(run_module, true_needs):
    """A needed GLIBC_x.y the host's libc does not define fails preflight, naming the host's glibc and the fix."""
    needs = copy.deepcopy(true_needs)
    needs["version_needs"]["libc.so.6"].append("GLIBC_2.99")
    result = facts(run_module, binary_requirements=needs, require_runnable=True, release_root="/nonexistent/demo")
    assert result["failed"] is True and result["changed"] is False
    have = result["runnable"]["host"]["glibc"]["release"]
    assert f"{LABEL} needs GLIBC_2.99; this host has glibc {have}" in result["msg"]
    assert "build it with CGO_ENABLED=0 or for an older glibc" not in result["msg"]  # not a Go binary
    assert "build it for an older glibc" in result["msg"]
    assert result["msg"].endswith("Nothing on the host was changed.")
    # Every other fact is still read and returned with the failure.
    assert result["release"]["exists"] is False and result["service_manager"]


def test_a_go_binary_gets_the_cgo_hint(run_module, true_needs):
    """A Go binary that needs a newer glibc is told to build with CGO_ENABLED=0."""
    needs = copy.deepcopy(true_needs)
    needs["version_needs"]["libc.so.6"].append("GLIBC_2.99")
    needs["go"] = {"version": "go1.22.2", "goos": "linux", "goarch": "amd64", "cgo_enabled": True}
    result = facts(run_module, binary_requirements=needs, require_runnable=True)
    assert "build it with CGO_ENABLED=0 or for an older glibc" in result["msg"]


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="names x86_64 as this host's architecture")
def test_another_architecture_is_refused_naming_both(run_module, true_needs):
    """An arm64 build on an x86_64 host is refused before any library is looked for, naming both architectures."""
    needs = copy.deepcopy(true_needs)
    needs.update(machine="EM_AARCH64", arch="aarch64")
    needs["go"] = {"version": "go1.22.2", "goos": "linux", "goarch": "arm64", "cgo_enabled": False}
    result = facts(run_module, binary_requirements=needs, require_runnable=True)
    assert result["failed"] is True
    assert "linux/arm64" in result["msg"] or "arm64" in result["msg"]
    assert "this host is x86_64: build it with GOOS=linux GOARCH=amd64" in result["msg"]
    assert result["runnable"]["host"]["libraries"] == {}


def test_a_missing_library_is_named(run_module, true_needs):
    """A DT_NEEDED library the host cannot resolve is named in the refusal."""
    needs = copy.deepcopy(true_needs)
    needs["needed"].append("libgosvc-absent.so.7")
    result = facts(run_module, binary_requirements=needs, require_runnable=True)
    assert f"{LABEL} needs the shared library libgosvc-absent.so.7, which this host does not have" in result["msg"]


def test_without_require_runnable_problems_are_reported_not_fatal(run_module, true_needs):
    """The facts alone never fail the module: only require_runnable does."""
    needs = copy.deepcopy(true_needs)
    needs["needed"].append("libgosvc-absent.so.7")
    result = facts(run_module, binary_requirements=needs)
    assert not result.get("failed")
    assert len(result["runnable"]["problems"]) == 1


def test_an_artifact_that_is_not_elf_is_refused_with_why(run_module):
    """go_artifact's reason for having no requirements becomes the refusal."""
    result = facts(
        run_module, binary_requirements_error="it is not an ELF file (a shell script)", require_runnable=True
    )
    assert result["failed"] is True
    assert f"{LABEL} cannot run on this host: it is not an ELF file (a shell script)" in result["msg"]


def test_a_binary_already_on_the_host_is_read_there(run_module, tmp_path):
    """binary_path (go_service_binary_remote_src) is read on the host; a text file is refused."""
    ok = facts(run_module, binary_path=TRUE, require_runnable=True)
    assert not ok.get("failed") and ok["runnable"]["problems"] == []
    assert ok["runnable"]["requirements"] == _goelf.read_requirements(TRUE)
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\nexec true\n")
    bad = facts(run_module, binary_path=str(script), require_runnable=True)
    assert bad["failed"] is True
    assert f"{LABEL} cannot run on this host: it is not an ELF file" in bad["msg"]
    gone = facts(run_module, binary_path=str(tmp_path / "absent"), require_runnable=True)
    assert "cannot run on this host: it cannot be read (No such file or directory)" in gone["msg"]


def test_malformed_requirements_fail_naming_the_option(run_module, true_needs):
    """Requirements of another shape (another collection version) are refused, not half-checked."""
    needs = dict(true_needs, schema=99)
    result = facts(run_module, binary_requirements=needs)
    assert result["failed"] is True
    assert result["msg"].startswith("service_facts: binary_requirements: the binary's requirements have schema 99")


def test_no_binary_given_means_no_runnable_facts(run_module):
    """An uninstall (or any read without a binary) reports runnable as null and never fails for it."""
    result = facts(run_module, require_runnable=True)
    assert not result.get("failed") and result["runnable"] is None


def test_go_artifact_returns_the_requirements_of_the_binary_it_resolved(run_module, tmp_path):
    """The controller reads the ELF requirements once, with the artifact, for every host's preflight."""
    data = Path(TRUE).read_bytes()
    src = tmp_path / "true"
    src.write_bytes(data)
    args = {
        "src": str(src),
        "checksum": "sha256:" + hashlib.sha256(data).hexdigest(),
        "binary_name": "true",
        "cache_dir": str(tmp_path / "cache"),
    }
    result = run_module(go_artifact, args)
    assert not result.get("failed"), result.get("msg")
    assert result["binary_requirements"] == _goelf.read_requirements(TRUE)
    assert result["binary_requirements_error"] is None
    # go_artifact itself refuses a file without the ELF magic; one cut short after it resolves, and its
    # requirements say why they cannot be read (preflight refuses it on every host).
    cut = data[:64]
    short = tmp_path / "short"
    short.write_bytes(cut)
    args.update(src=str(short), checksum="sha256:" + hashlib.sha256(cut).hexdigest())
    truncated = run_module(go_artifact, args)
    assert not truncated.get("failed"), truncated.get("msg")
    assert truncated["binary_requirements"] is None
    assert truncated["binary_requirements_error"].startswith("its ELF headers cannot be read")
