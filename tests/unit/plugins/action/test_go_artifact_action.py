# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The go_artifact action plugin resolves in the controller process: same result as the module, no connection."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest

from ansible_collections.gosvc.hardening.plugins.action import go_artifact as action_plugin
from ansible_collections.gosvc.hardening.plugins.modules import go_artifact


@pytest.fixture
def resolve():
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.playbook.task import Task

    def _run(**args):
        task = Task()
        task.action = "gosvc.hardening.go_artifact"
        task.args = args

        def no_connection(*_a, **_k):
            raise AssertionError("go_artifact must not use the connection or run a module")

        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None), exec_command=no_connection)
        action = action_plugin.ActionModule(task, connection, PlayContext(), DataLoader(), None, None)
        action._load_name = "gosvc.hardening.go_artifact"
        action._execute_module = no_connection
        return action.run(task_vars={})

    return _run


@pytest.fixture
def binary(tmp_path):
    path = tmp_path / "dist" / "myapp"
    path.parent.mkdir()
    path.write_bytes(b"\x7fELF not really, but bytes with a digest\n")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_result_as_the_module_and_a_cache_hit_the_second_time(resolve, run_module, binary, tmp_path):
    path, digest = binary
    args = {"src": str(path), "checksum": f"sha256:{digest}", "binary_name": "myapp", "cache_dir": str(tmp_path / "c")}
    first = resolve(**args)
    assert not first.get("failed"), first
    assert first["changed"] is True and first["binary_sha256"] == digest
    again = resolve(**args)
    assert again["changed"] is False and again["binary_path"] == first["binary_path"]
    module = run_module(go_artifact, args)
    assert {k: module[k] for k in ("binary_path", "binary_sha256", "artifact_sha256", "changed")} == {
        k: again[k] for k in ("binary_path", "binary_sha256", "artifact_sha256", "changed")
    }


def test_a_wrong_digest_fails_with_the_modules_message(resolve, binary, tmp_path):
    path, _digest = binary
    result = resolve(src=str(path), checksum="sha256:" + "0" * 64, binary_name="myapp", cache_dir=str(tmp_path / "c"))
    assert result["failed"] and result["msg"].startswith(f"Resolving the Go release artifact {path}: ")
    assert "0" * 64 in result["msg"]


def test_the_options_are_validated_like_the_modules(resolve, binary, tmp_path):
    from ansible.errors import AnsibleActionFail

    path, digest = binary
    with pytest.raises(AnsibleActionFail, match=r"mutually exclusive: url\|src"):
        resolve(
            src=str(path),
            url="https://example.invalid/x",
            checksum=f"sha256:{digest}",
            binary_name="myapp",
            cache_dir=str(tmp_path / "c"),
        )
