# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_config action plugin: no round trip when preflight's reading shows nothing would change.

End to end on a temporary directory: the real module writes the files, the real service_facts
module reads them (with an HMAC key), and the action plugin decides from that reading. The
module call it would make otherwise is recorded instead of run.
"""

from __future__ import annotations

import grp
import os
from types import SimpleNamespace

import pytest

from ansible_collections.gosvc.hardening.plugins.action import service_config as action_plugin
from ansible_collections.gosvc.hardening.plugins.modules import service_config, service_facts

GROUP = grp.getgrgid(os.getgid()).gr_name
UNIT = "[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/true\n"
ENV = 'DEMO_API_TOKEN="s3cret-token-value"\n'
KEY = "k" * 43

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="writes files owned by root:<group> like on a target")


@pytest.fixture
def args(tmp_path):
    (tmp_path / "systemd").mkdir()
    return {
        "unit_name": "demo.service",
        "unit_dir": str(tmp_path / "systemd"),
        "unit": UNIT,
        "env_file": str(tmp_path / "etc" / "demo" / "demo.env"),
        "env": ENV,
        "env_secret_keys": ["DEMO_API_TOKEN"],
        "group": GROUP,
        "verify": "none",
        "backup": True,
    }


def managed_paths(tmp_path):
    dropin_dir = tmp_path / "systemd" / "demo.service.d"
    return [
        str(tmp_path / "etc" / "demo"),
        str(tmp_path / "etc" / "demo" / "demo.env"),
        str(tmp_path / "systemd" / "demo.service"),
        str(dropin_dir),
        str(dropin_dir / "50-gosvc-overrides.conf"),
        str(tmp_path / "systemd" / "demo.socket"),
    ]


@pytest.fixture
def read(run_module, tmp_path):
    def _read(key=KEY):
        return run_module(service_facts, {"files": managed_paths(tmp_path), "digest_key": key})["files"]

    return _read


@pytest.fixture
def action():
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.playbook.task import Task

    calls = []

    def _run(args, check_mode=False):
        task = Task()
        task.action = "gosvc.hardening.service_config"
        task.args = args
        task.check_mode = check_mode
        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
        plugin = action_plugin.ActionModule(task, connection, PlayContext(), DataLoader(), None, None)
        plugin._load_name = "gosvc.hardening.service_config"

        def execute_module(module_name, module_args, task_vars):
            calls.append((module_name, module_args))
            return {"changed": True, "compared_on": "host"}

        plugin._execute_module = execute_module
        return plugin.run(task_vars={})

    _run.calls = calls
    return _run


def test_unchanged_files_are_answered_on_the_controller(run_module, read, action, args):
    written = run_module(service_config, args)
    assert written["changed"] and written["compared_on"] == "host"
    seen = read()
    # Never the content, never a plain digest of it: an HMAC under the controller's key.
    assert "s3cret" not in repr(seen)
    result = action(dict(args, known_files=seen, digest_key=KEY))
    assert action.calls == []
    assert result["changed"] is False and result["content_changed"] is False
    assert result["compared_on"] == "controller"
    assert result["backups"] == [] and result["created"] == [] and result["verify"] is None
    assert set(result["files"]) == {"env", "unit", "overrides", "socket"}
    assert not any(record["changed"] for record in result["files"].values())


@pytest.mark.parametrize(
    "drift",
    [
        pytest.param(lambda p: p.write_text(ENV + "X=1\n"), id="env content"),
        pytest.param(lambda p: p.chmod(0o644), id="env mode"),
        pytest.param(lambda p: p.unlink(), id="env removed"),
        pytest.param(lambda p: p.parent.chmod(0o755), id="env directory mode"),
    ],
)
def test_any_drift_on_the_host_runs_the_module(run_module, read, action, args, drift, tmp_path):
    run_module(service_config, args)
    drift(tmp_path / "etc" / "demo" / "demo.env")
    action(dict(args, known_files=read(), digest_key=KEY))
    assert len(action.calls) == 1
    module_name, module_args = action.calls[0]
    assert module_name == "gosvc.hardening.service_config"
    # The controller-only parameters stay on the controller.
    assert "known_files" not in module_args and "digest_key" not in module_args
    assert module_args["env"] == ENV


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"unit": UNIT + "TimeoutStopSec=5\n"}, id="new unit"),
        pytest.param({"env": ENV + "X=1\n"}, id="new env"),
        pytest.param({"overrides": "[Service]\nLimitNOFILE=16384\n"}, id="new drop-in"),
        pytest.param({"group": "daemon" if GROUP != "daemon" else "root"}, id="new group"),
    ],
)
def test_a_new_wanted_state_runs_the_module(run_module, read, action, args, change):
    run_module(service_config, args)
    action(dict(args, **change, known_files=read(), digest_key=KEY))
    assert len(action.calls) == 1


def test_a_reading_with_another_key_or_none_runs_the_module(run_module, read, action, args):
    run_module(service_config, args)
    action(dict(args, known_files=read(key="another-key"), digest_key=KEY))
    action(dict(args, known_files=read(key=""), digest_key=""))
    action(dict(args))
    assert len(action.calls) == 3


def test_a_drop_in_is_compared_with_its_directory(run_module, read, action, args, tmp_path):
    with_dropin = dict(args, overrides="[Service]\nLimitNOFILE=16384\n")
    run_module(service_config, with_dropin)
    action(dict(with_dropin, known_files=read(), digest_key=KEY))
    assert action.calls == []
    (tmp_path / "systemd" / "demo.service.d").chmod(0o700)
    action(dict(with_dropin, known_files=read(), digest_key=KEY))
    assert len(action.calls) == 1
    # The drop-in no longer wanted: it is there, so the module must remove it.
    action(dict(args, known_files=read(), digest_key=KEY))
    assert len(action.calls) == 2


def test_bad_names_are_refused_before_anything(action, args):
    from ansible.errors import AnsibleActionFail

    with pytest.raises(AnsibleActionFail, match="file names"):
        action(dict(args, unit_name="../demo.service"))
    assert action.calls == []


def test_the_controller_answers_what_the_module_answers_when_nothing_changed(run_module, read, action, args):
    """The controller's answer for unchanged files is the module's own answer for them, field by field."""
    run_module(service_config, args)
    on_host = run_module(service_config, args)
    assert on_host["changed"] is False
    on_controller = action(dict(args, known_files=read(), digest_key=KEY))
    assert action.calls == []
    for field in ("changed", "content_changed", "files", "backups", "created", "verify"):
        assert on_controller[field] == on_host[field], field
