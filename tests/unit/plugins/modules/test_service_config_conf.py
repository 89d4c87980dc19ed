# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service_config's config_files through the real AnsibleModule: written, validated, backed up, masked.

systemd-analyze is the same stand-in as in test_service_config.py; the validate commands are real
programs (a small shell script that greps the candidate), run by AnsibleModule.run_command.
"""

from __future__ import annotations

import grp
import json
import os
import stat
from pathlib import Path

import pytest
import test_service_config
from test_service_config import ENV, GROUP, UNIT

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    MASK,
    ConfigError,
    config_specs,
    host_entries,
    validate_argv,
)
from ansible_collections.gosvc.hardening.plugins.modules import service_config

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="writes files owned by root:<group> like on a target")

CONFIG = "route:\n  receiver: team\nreceivers:\n  - name: team\n"
SECRET = "smtp_auth_password: hunter2-very-secret\n"
#: A validator: fails, printing a reason, when the candidate holds "BROKEN"; records what it read.
CHECKER = """#!/bin/sh
cat "$1" >> "$CHECK_LOG"
if grep -q BROKEN "$1"; then echo "line 1: field BROKEN not found in type config.plain" >&2; exit 1; fi
echo "Checking '$1'  SUCCESS"
"""


@pytest.fixture
def analyze(tmp_path, monkeypatch):
    """The systemd-analyze stand-in of test_service_config.py."""
    return test_service_config.analyze.__wrapped__(tmp_path, monkeypatch)


@pytest.fixture
def checker(tmp_path, monkeypatch):
    tool = tmp_path / "bin" / "check-config"
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(CHECKER)
    tool.chmod(0o755)
    log = tmp_path / "check.log"
    monkeypatch.setenv("CHECK_LOG", str(log))
    return tool, log


@pytest.fixture
def args(tmp_path, checker):
    tool, _log = checker
    (tmp_path / "systemd").mkdir()
    return {
        "unit_name": "am.service",
        "unit_dir": str(tmp_path / "systemd"),
        "unit": UNIT,
        "env_file": str(tmp_path / "etc" / "am" / "am.env"),
        "env": ENV,
        "group": GROUP,
        "backup": True,
        "config_files": [
            {"dest": "alertmanager.yml", "content": CONFIG, "validate": f"{tool} %s"},
            {"dest": "secrets/smtp.yml", "secret_content": SECRET, "mode": "0600", "validate": f"{tool} %s"},
        ],
    }


def _attrs(path):
    st = os.stat(path)
    return st.st_uid, grp.getgrgid(st.st_gid).gr_name, f"{stat.S_IMODE(st.st_mode):04o}"


def test_config_files_are_validated_written_and_unchanged_on_a_second_run(run_module, analyze, args, tmp_path, checker):
    _tool, log = checker
    result = run_module(service_config, args)
    assert result["changed"] and result["content_changed"], result
    conf = tmp_path / "etc" / "am" / "alertmanager.yml"
    secret = tmp_path / "etc" / "am" / "secrets" / "smtp.yml"
    assert conf.read_text() == CONFIG and secret.read_text() == SECRET
    assert _attrs(conf) == (0, GROUP, "0640") and _attrs(secret) == (0, GROUP, "0600")
    assert _attrs(secret.parent) == (0, GROUP, "0750")
    # Both validators read the new content, from a copy (not the final path).
    assert log.read_text() == CONFIG + SECRET
    assert [item["dest"] for item in result["validated"]] == [str(conf), str(secret)]
    assert str(conf) in result["created"] and str(secret) in result["created"]

    again = run_module(service_config, args)
    assert not again["changed"] and not again["content_changed"] and again["validated"] == []
    assert log.read_text() == CONFIG + SECRET  # not validated again: nothing changed


def test_a_config_change_alone_counts_as_a_content_change_and_is_backed_up(run_module, analyze, args, tmp_path):
    run_module(service_config, args)
    changed = json.loads(json.dumps(args))
    changed["config_files"][0]["content"] = CONFIG + "  - name: pager\n"
    result = run_module(service_config, changed)
    conf = tmp_path / "etc" / "am" / "alertmanager.yml"
    assert result["content_changed"] and result["files"]["config:alertmanager.yml"]["changed"]
    assert result["files"]["unit"]["changed"] is False and result["files"]["env"]["changed"] is False
    (backup,) = result["backups"]
    assert backup["dest"] == str(conf) and Path(backup["backup_file"]).read_text() == CONFIG
    assert (backup["owner"], backup["group"], backup["mode"]) == ("root", GROUP, "0640")


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_config_that_fails_validation_changes_nothing(run_module, analyze, args, tmp_path, check_mode):
    run_module(service_config, args)
    before = {p: p.read_bytes() for p in (tmp_path / "etc").rglob("*") if p.is_file()}
    broken = json.loads(json.dumps(args))
    broken["unit"] = UNIT + "TimeoutStopSec=5\n"  # the unit changes too: it must not be written either
    broken["config_files"][0]["content"] = "BROKEN: yes\n"
    result = run_module(service_config, broken, check_mode=check_mode)
    assert result["failed"]
    assert "alertmanager.yml failed validation" in result["msg"]
    assert "exited 1" in result["msg"] and "field BROKEN not found" in result["msg"]
    assert "Nothing was changed on the host" in result["msg"]
    assert {p: p.read_bytes() for p in (tmp_path / "etc").rglob("*") if p.is_file()} == before
    assert (tmp_path / "systemd" / "am.service").read_text() == UNIT


def test_a_secret_file_is_masked_in_the_diff_and_its_validator_output_withheld(run_module, analyze, args):
    run_module(service_config, args)
    changed = json.loads(json.dumps(args))
    changed["config_files"][1]["secret_content"] = "smtp_auth_password: n3w-BROKEN-secret\n"
    failed = run_module(service_config, changed)
    assert failed["failed"] and "smtp.yml failed validation" in failed["msg"]
    assert "not shown (secret file)" in failed["msg"] and "field BROKEN" not in failed["msg"]

    changed["config_files"][1]["secret_content"] = "smtp_auth_password: n3w-secret\n"
    result = run_module(service_config, dict(changed, _ansible_diff=True))
    text = json.dumps(result)
    assert "hunter2" not in text and "n3w-secret" not in text
    (diff,) = [d for d in result["diff"] if d["after_header"].endswith("smtp.yml")]
    assert diff["before"] == f"{MASK} (secret content)\n" and diff["after"] == f"{MASK} (secret content, changed)\n"


def test_a_plain_config_file_shows_its_diff(run_module, analyze, args):
    run_module(service_config, args)
    changed = json.loads(json.dumps(args))
    changed["config_files"][0]["content"] = CONFIG.replace("team", "ops")
    result = run_module(service_config, dict(changed, _ansible_diff=True))
    (diff,) = [d for d in result["diff"] if d["after_header"].endswith("alertmanager.yml")]
    assert diff["before"] == CONFIG and diff["after"] == CONFIG.replace("team", "ops")


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"dest": "../passwd", "content": "x"}, "relative to the service's config directory"),
        ({"dest": "/etc/passwd", "content": "x"}, "without .. or a leading /"),
        ({"dest": "a/./b", "content": "x"}, "plain names"),
        ({"dest": ".hidden", "content": "x"}, "not starting with a dot"),
        ({"dest": "am.env", "content": "x"}, "is the environment file"),
        ({"dest": "x.yml", "content": "x", "mode": "0666"}, "not writable by others"),
        ({"dest": "x.yml", "content": "x", "mode": "4750"}, "without setuid"),
        ({"dest": "x.yml", "content": "x", "mode": "rw-r-----"}, "octal string"),
    ],
)
def test_an_unusable_entry_is_named_and_nothing_is_written(run_module, analyze, args, tmp_path, entry, words):
    result = run_module(service_config, dict(args, config_files=[entry]))
    assert result["failed"] and "config_files[0]" in result["msg"] and words in result["msg"], result["msg"]
    assert not (tmp_path / "etc").exists() and os.listdir(tmp_path / "systemd") == []


def test_the_same_dest_twice_is_refused(args):
    twice = dict(args, config_files=[{"dest": "a.yml", "content": "1"}, {"dest": "a.yml", "content": "2"}])
    with pytest.raises(ConfigError, match=r"config_files\[1\]: dest 'a.yml' is given twice"):
        config_specs(twice)


def test_a_subdirectory_is_created_once_per_level(args):
    deep = dict(args, config_files=[{"dest": "a/b/c.yml", "content": "1"}, {"dest": "a/d.yml", "content": "2"}])
    files, dirs = config_specs(deep)
    base = os.path.dirname(args["env_file"])
    assert [entry[0] for entry in dirs] == [f"{base}/a", f"{base}/a/b"]
    assert [spec.path for spec in files] == [f"{base}/a/b/c.yml", f"{base}/a/d.yml"]


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("amtool check-config %s", ["amtool", "check-config", "/x/a.yml"]),
        (
            "caddy validate --config=%s --adapter 'caddy file'",
            ["caddy", "validate", "--config=/x/a.yml", "--adapter", "caddy file"],
        ),
    ],
)
def test_validate_argv_splits_like_a_shell_and_puts_the_path_in(command, argv):
    assert validate_argv(command, "/x/a.yml") == argv


@pytest.mark.parametrize(
    ("command", "words"), [("amtool check-config", "must hold %s"), ("check 'open", "cannot be split")]
)
def test_validate_argv_refuses_a_command_that_cannot_read_the_file(command, words):
    with pytest.raises(ConfigError, match=words):
        validate_argv(command, "/x/a.yml")


def test_the_action_plugin_turns_src_and_secret_into_what_the_host_takes():
    read = {"files/am.yml": b"route: {}\n", "files/smtp.yml": b"password: x\n", "files/bin": b"\xff\xfe"}.__getitem__
    entries = [
        {"dest": "am.yml", "src": "files/am.yml", "secret": False, "mode": "0640", "content": None},
        {"dest": "smtp.yml", "src": "files/smtp.yml", "secret": True, "mode": "0600"},
        {"dest": "inline.yml", "content": "a: 1\n", "secret": True},
    ]
    assert host_entries(entries, read) == [
        {"dest": "am.yml", "content": "route: {}\n", "mode": "0640"},
        {"dest": "smtp.yml", "secret_content": "password: x\n", "mode": "0600"},
        {"dest": "inline.yml", "secret_content": "a: 1\n"},
    ]
    with pytest.raises(ConfigError, match=r"config_files\[0\]: src files/bin is not UTF-8 text"):
        host_entries([{"dest": "b", "src": "files/bin"}], read)
