# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report_files action plugin: report files written on the controller, atomically, no connection."""

from __future__ import annotations

import os
import stat
from types import SimpleNamespace

import pytest

from ansible_collections.gosvc.hardening.plugins.action import report_files as action_plugin


@pytest.fixture
def write():
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.playbook.task import Task

    def _run(check_mode=False, **args):
        task = Task()
        task.action = "gosvc.hardening.report_files"
        task.args = args
        task.check_mode = check_mode

        def no_connection(*_a, **_k):
            raise AssertionError("report_files must not use the connection")

        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None), exec_command=no_connection)
        action = action_plugin.ActionModule(task, connection, PlayContext(), DataLoader(), None, None)
        action._load_name = "gosvc.hardening.report_files"
        action._execute_module = no_connection
        return action.run(task_vars={})

    return _run


def test_writes_the_files_creating_the_directory(write, tmp_path):
    out = tmp_path / "reports" / "run-1"
    result = write(dir=str(out), files=[{"name": "h1.json", "content": "{}\n"}, {"name": "h1.xml", "content": "<x/>"}])
    assert not result.get("failed") and result["changed"] is False
    assert (out / "h1.json").read_text() == "{}\n" and (out / "h1.xml").read_text() == "<x/>"
    assert stat.S_IMODE(os.stat(out / "h1.json").st_mode) == 0o644
    assert sorted(result["written"]) == sorted([str(out / "h1.json"), str(out / "h1.xml")])
    assert sorted(os.listdir(out)) == ["h1.json", "h1.xml"]  # no temporary file left


def test_same_content_is_left_alone_and_new_content_replaces(write, tmp_path):
    write(dir=str(tmp_path), files=[{"name": "a.json", "content": "1"}])
    inode = os.stat(tmp_path / "a.json").st_ino
    again = write(dir=str(tmp_path), files=[{"name": "a.json", "content": "1"}])
    assert again["unchanged"] == [str(tmp_path / "a.json")] and again["written"] == []
    assert os.stat(tmp_path / "a.json").st_ino == inode
    write(dir=str(tmp_path), files=[{"name": "a.json", "content": "2"}])
    assert (tmp_path / "a.json").read_text() == "2"
    assert os.stat(tmp_path / "a.json").st_ino != inode  # renamed over, not rewritten in place


def test_check_mode_writes_too(write, tmp_path):
    result = write(check_mode=True, dir=str(tmp_path), files=[{"name": "a.json", "content": "x"}])
    assert not result.get("skipped") and (tmp_path / "a.json").read_text() == "x"


@pytest.mark.parametrize("name", ["../escape.json", "sub/x.json", ".hidden", "", "web-1.json\n"])
def test_a_name_with_a_directory_or_a_dot_is_refused(write, tmp_path, name):
    result = write(dir=str(tmp_path), files=[{"name": name, "content": "x"}])
    assert result["failed"] and "must not contain a directory or start with a dot" in result["msg"]
    assert os.listdir(tmp_path) == []


def test_an_unwritable_directory_is_named(write, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = write(dir=str(blocker / "reports"), files=[{"name": "a.json", "content": "x"}])
    assert result["failed"] and str(blocker / "reports") in result["msg"] and "writable path" in result["msg"]


def test_an_earlier_run_s_reports_are_removed_when_named(write, tmp_path):
    (tmp_path / "h1.after-rollback.json").write_text("{}")
    result = write(
        dir=str(tmp_path),
        files=[{"name": "h1.json", "content": "{}"}],
        remove=["h1.after-rollback.json", "h1.after-rollback.xml"],
    )
    assert not result.get("failed")
    assert result["removed"] == [str(tmp_path / "h1.after-rollback.json")]  # the .xml was not there
    assert sorted(os.listdir(tmp_path)) == ["h1.json"]
    assert write(dir=str(tmp_path), files=[], remove=["h1.after-rollback.json"])["removed"] == []


@pytest.mark.parametrize("name", ["../h1.json", ".hidden", "a/b.json"])
def test_a_name_to_remove_outside_the_directory_is_refused(write, tmp_path, name):
    (tmp_path / "keep.json").write_text("{}")
    result = write(dir=str(tmp_path / "reports"), files=[], remove=[name])
    assert result["failed"] is True
    assert name in result["msg"]
    assert (tmp_path / "keep.json").exists()
