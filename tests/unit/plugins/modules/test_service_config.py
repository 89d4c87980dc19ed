# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_config module through the real AnsibleModule, on a temporary directory.

systemd-analyze is a stand-in on PATH that records what it verified and prints canned lines
(the real output is covered in test_verify_candidate.py and, on real systemd, by Molecule).
Files are owned by the user running the tests and its primary group.
"""

from __future__ import annotations

import base64
import grp
import json
import os
import pwd
import stat
from pathlib import Path

import pytest
from support import RoleVars, render_env_file

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import MASK, unified
from ansible_collections.gosvc.hardening.plugins.modules import service_config

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
UNIT = "[Unit]\nDescription=demo\n[Service]\nExecStart=/opt/demo/current/demo\nEnvironmentFile=/etc/demo/demo.env\n"
DROPIN = "[Service]\nLimitNOFILE=16384\n"
ENV = 'DEMO_LISTEN_ADDR="127.0.0.1:8080"\nDEMO_API_TOKEN="s3cret-token-value"\n'

STUB = """#!/bin/sh
echo "$3" >> "$STUB_LOG"
printf '%s' "$STUB_OUTPUT" | sed "s|{dir}|$(dirname "$3")|g" >&2
exit "${STUB_RC:-0}"
"""

ROLE = Path(__file__).resolve().parents[4] / "roles" / "go_service"
#: A private key as people paste it into go_service_env_secret: 64-character base64 lines between
#: the BEGIN and END lines, the last one padded with "=". Not a key, but shaped like one.
_BODY = base64.b64encode(bytes(range(7, 256)) * 2).decode()
PEM_LINES = [_BODY[i : i + 64] for i in range(0, len(_BODY), 64)]
PEM = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(PEM_LINES) + "\n-----END PRIVATE KEY-----"
NEW_PEM_LINES = [line[::-1] for line in PEM_LINES]
NEW_PEM = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(NEW_PEM_LINES) + "\n-----END PRIVATE KEY-----"

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="writes files owned by root:<group> like on a target")


@pytest.fixture
def analyze(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "systemd-analyze"
    tool.write_text(STUB)
    tool.chmod(0o755)
    log = tmp_path / "analyze.log"
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("STUB_LOG", str(log))
    monkeypatch.setenv("STUB_OUTPUT", "")
    monkeypatch.setenv("STUB_RC", "0")

    def calls():
        return log.read_text().splitlines() if log.exists() else []

    return calls


@pytest.fixture
def args(tmp_path):
    return {
        "unit_name": "demo.service",
        "unit_dir": str(tmp_path / "systemd"),
        "unit": UNIT,
        "overrides": DROPIN,
        "env_file": str(tmp_path / "etc" / "demo" / "demo.env"),
        "env": ENV,
        "env_secret_keys": ["DEMO_API_TOKEN"],
        "group": GROUP,
        "backup": True,
    }


@pytest.fixture(scope="module")
def role_vars():
    return RoleVars(ROLE)


@pytest.fixture
def env_file_text(role_vars):
    """``env_file_text(env, secret)``: the environment file as the go_service role renders it (env.j2)."""

    def render(env, secret):
        return render_env_file(role_vars, env, secret, group=GROUP)

    return render


def _env_diff(result):
    (found,) = [d for d in result["diff"] if d["after_header"].endswith("demo.env")]
    return found


def _assert_no_secret(result, body_lines):
    """No line of a secret's body anywhere in the module's result (all its fields, the diff included)."""
    text = json.dumps(result)
    leaked = [line for line in body_lines if line in text]
    assert leaked == [], leaked


def _mode(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, f"{stat.S_IMODE(st.st_mode):04o}"


def test_first_run_writes_all_files_then_a_second_run_changes_nothing(run_module, analyze, args, tmp_path):
    (tmp_path / "systemd").mkdir()
    result = run_module(service_config, args)
    assert result["changed"] and result["content_changed"], result
    unit = tmp_path / "systemd" / "demo.service"
    dropin = tmp_path / "systemd" / "demo.service.d" / "50-gosvc-overrides.conf"
    env = tmp_path / "etc" / "demo" / "demo.env"
    assert unit.read_text() == UNIT and dropin.read_text() == DROPIN and env.read_text() == ENV
    assert _mode(env) == ("root", GROUP, "0640")
    assert _mode(env.parent) == ("root", GROUP, "0750")
    assert _mode(unit) == ("root", "root", "0644")
    assert _mode(dropin) == ("root", "root", "0644") and _mode(dropin.parent) == ("root", "root", "0755")
    assert sorted(result["created"]) == sorted([str(unit), str(dropin), str(env)])
    assert result["backups"] == []
    assert result["verify"]["ok"] and result["verify"]["mode"] == "strict"
    assert len(analyze()) == 1
    # No temporary file is left beside the written ones.
    assert sorted(os.listdir(unit.parent)) == ["demo.service", "demo.service.d"]

    again = run_module(service_config, args)
    assert not again["changed"] and not again["content_changed"]
    assert again["verify"] is None and len(analyze()) == 1  # nothing changed, nothing to verify
    assert again["created"] == [] and again["backups"] == []


def test_a_change_is_backed_up_and_a_removed_drop_in_too(run_module, analyze, args, tmp_path):
    run_module(service_config, args)
    changed = dict(args, unit=UNIT + "TimeoutStopSec=5\n", overrides="")
    result = run_module(service_config, changed)
    assert result["content_changed"]
    unit = tmp_path / "systemd" / "demo.service"
    dropin = tmp_path / "systemd" / "demo.service.d" / "50-gosvc-overrides.conf"
    assert not dropin.exists() and result["files"]["overrides"]["removed"]
    backups = {b["dest"]: b for b in result["backups"]}
    assert set(backups) == {str(unit), str(dropin)}
    assert Path(backups[str(unit)]["backup_file"]).read_text() == UNIT
    assert Path(backups[str(dropin)]["backup_file"]).read_text() == DROPIN
    assert backups[str(unit)]["mode"] == "0644" and backups[str(unit)]["owner"] == "root"
    assert result["files"]["env"]["changed"] is False


@pytest.mark.fault(
    case="3",
    name="a write fails for lack of space (service_config)",
    injected="the unit's temporary file cannot be written (ENOSPC) after the environment file was replaced",
    expected="failure naming the file and the error; the unit as it was, no backup or temporary file of it"
    " left; the result reports only what was written (the environment file, with its backup)",
)
def test_a_full_disk_midway_reports_only_what_was_written(run_module, analyze, args, tmp_path, monkeypatch):
    import errno
    import tempfile

    run_module(service_config, args)
    unit = tmp_path / "systemd" / "demo.service"
    env = tmp_path / "etc" / "demo" / "demo.env"
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*a, dir=None, **kw):
        if dir == str(unit.parent):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_mkstemp(*a, dir=dir, **kw)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    new_env = ENV + 'DEMO_X="1"\n'
    result = run_module(service_config, dict(args, unit=UNIT + "TimeoutStopSec=5\n", env=new_env))
    assert result["failed"] and result["msg"] == f"service_config: cannot write {unit}: No space left on device"
    assert unit.read_text() == UNIT and sorted(os.listdir(unit.parent)) == ["demo.service", "demo.service.d"]
    assert env.read_text() == new_env
    assert [b["dest"] for b in result["backups"]] == [str(env)] and result["content_changed"] is True
    assert Path(result["backups"][0]["backup_file"]).read_text() == ENV
    # The first file fails: nothing written, nothing for a rollback to put back or restart for.
    monkeypatch.setattr(tempfile, "mkstemp", real_mkstemp)
    run_module(service_config, args)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    first = run_module(service_config, dict(args, unit=UNIT + "TimeoutStopSec=5\n"))
    assert first["failed"] and first["content_changed"] is False and first["backups"] == []
    assert sorted(os.listdir(unit.parent)) == ["demo.service", "demo.service.d"]


def test_a_mode_change_alone_is_fixed_without_a_restart(run_module, analyze, args, tmp_path):
    run_module(service_config, args)
    env = tmp_path / "etc" / "demo" / "demo.env"
    env.chmod(0o644)
    result = run_module(service_config, args)
    assert result["changed"] and not result["content_changed"]
    assert _mode(env)[2] == "0640"
    assert result["backups"] == []


def test_ignored_lines_fail_before_anything_is_written(run_module, analyze, args, tmp_path, monkeypatch):
    monkeypatch.setenv(
        "STUB_OUTPUT",
        "{dir}/demo.service.d/50-gosvc-overrides.conf:2: Unknown key 'NoSuch' in section [Service], ignoring.",
    )
    result = run_module(service_config, dict(args, overrides="[Service]\nNoSuch=1\n"))
    assert result["failed"]
    assert "would ignore 1 line(s) of demo.service" in result["msg"]
    assert "50-gosvc-overrides.conf:2: Unknown key 'NoSuch'" in result["msg"]
    assert "[NoSuch=1]" in result["msg"]
    assert "Nothing was changed on the host" in result["msg"]
    assert not (tmp_path / "systemd").exists() and not (tmp_path / "etc").exists()


def test_syntax_mode_passes_a_missing_binary_strict_mode_does_not(run_module, analyze, args, monkeypatch, tmp_path):
    monkeypatch.setenv("STUB_OUTPUT", "demo.service: Command /opt/demo/current/demo is not executable")
    monkeypatch.setenv("STUB_RC", "1")
    strict = run_module(service_config, args)
    assert strict["failed"] and "exited with 1" in strict["msg"]
    assert not (tmp_path / "etc").exists()
    syntax = run_module(service_config, dict(args, verify="syntax"))
    assert not syntax.get("failed") and syntax["changed"]


def test_check_mode_reports_and_verifies_but_writes_nothing(run_module, analyze, args, tmp_path):
    result = run_module(service_config, args, check_mode=True)
    assert result["changed"] and result["content_changed"]
    assert len(analyze()) == 1
    assert not (tmp_path / "systemd").exists() and not (tmp_path / "etc").exists()


def test_the_secret_is_masked_in_the_diff_and_never_in_the_result(run_module, analyze, args):
    run_module(service_config, args)
    new_env = ENV.replace("s3cret-token-value", "n3w-secret-value").replace("8080", "9090")
    args = dict(args, env=new_env, _ansible_diff=True)
    result = run_module(service_config, args)
    text = json.dumps(result)
    assert "s3cret-token-value" not in text and "n3w-secret-value" not in text
    (env_diff,) = [d for d in result["diff"] if d["after_header"].endswith("demo.env")]
    assert f"DEMO_API_TOKEN={MASK}\n" in env_diff["before"]
    assert f"DEMO_API_TOKEN={MASK} (changed)\n" in env_diff["after"]
    assert 'DEMO_LISTEN_ADDR="127.0.0.1:9090"' in env_diff["after"]


def test_a_path_in_the_way_is_named(run_module, analyze, args, tmp_path):
    (tmp_path / "systemd" / "demo.service").mkdir(parents=True)
    result = run_module(service_config, args)
    assert result["failed"] and "demo.service exists but is not a regular file" in result["msg"]


def test_an_unknown_group_is_named(run_module, analyze, args):
    result = run_module(service_config, dict(args, group="no-such-group-gosvc"))
    assert result["failed"] and "group 'no-such-group-gosvc' does not exist" in result["msg"]


def test_check_mode_on_a_host_without_the_group_yet(run_module, analyze, args, tmp_path):
    # A fresh host in check mode: the account phase did not create the group.
    (tmp_path / "etc" / "demo").mkdir(parents=True)
    result = run_module(service_config, dict(args, group="no-such-group-gosvc"), check_mode=True)
    assert not result.get("failed"), result
    assert result["changed"] and result["content_changed"]
    assert not (tmp_path / "etc" / "demo" / "demo.env").exists()


def test_a_name_with_a_directory_is_refused_before_anything(run_module, analyze, args, tmp_path):
    result = run_module(service_config, dict(args, overrides_name="../escape.conf"))
    assert result["failed"]
    assert result["msg"] == "service_config: unit_name and overrides_name are file names, without a directory"
    assert not (tmp_path / "etc").exists() and analyze() == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_a_multi_line_secret_is_masked_whole_on_a_first_install(run_module, analyze, args, env_file_text, check_mode):
    env = env_file_text({"DEMO_LISTEN_ADDR": "127.0.0.1:8080"}, {"TLS_KEY": PEM, "DEMO_API_TOKEN": "s3cret"})
    # The template writes the key's body on lines of their own, inside the double quotes.
    assert f'TLS_KEY="-----BEGIN PRIVATE KEY-----\n{PEM_LINES[0]}\n' in env
    assert f'{PEM_LINES[-1]}\n-----END PRIVATE KEY-----"\n' in env
    wanted = dict(args, env=env, env_secret_keys=["TLS_KEY", "DEMO_API_TOKEN"], _ansible_diff=True)
    result = run_module(service_config, wanted, check_mode=check_mode)
    assert result["changed"] and not result.get("failed"), result
    _assert_no_secret(result, [*PEM_LINES, "PRIVATE KEY", "s3cret"])
    diff = _env_diff(result)
    assert diff["before"] == "" and diff["before_header"] == "(absent)"
    assert diff["after"].splitlines()[-3:] == [
        f"DEMO_API_TOKEN={MASK}",
        'DEMO_LISTEN_ADDR="127.0.0.1:8080"',
        f"TLS_KEY={MASK}",
    ]


def test_a_changed_multi_line_secret_shows_only_that_it_changed(run_module, analyze, args, env_file_text):
    keys = ["TLS_KEY"]
    run_module(service_config, dict(args, env=env_file_text({"A": "1"}, {"TLS_KEY": PEM}), env_secret_keys=keys))
    new_env = env_file_text({"A": "1"}, {"TLS_KEY": NEW_PEM})
    result = run_module(service_config, dict(args, env=new_env, env_secret_keys=keys, _ansible_diff=True))
    assert result["content_changed"] and len(result["backups"]) == 1
    _assert_no_secret(result, [*PEM_LINES, *NEW_PEM_LINES, "PRIVATE KEY"])
    diff = _env_diff(result)
    assert f"TLS_KEY={MASK}\n" in diff["before"]
    assert f"TLS_KEY={MASK} (changed)\n" in diff["after"]
    assert 'A="1"\n' in diff["after"]
    # The backup holds the old key (it is what a rollback restores); the result names only its path.
    assert PEM in Path(result["backups"][0]["backup_file"]).read_text()


def test_an_unchanged_multi_line_secret_next_to_a_changed_plain_value_shows_no_secret(
    run_module, analyze, args, env_file_text
):
    keys = ["TLS_KEY"]
    before = env_file_text({"A_ADDR": "127.0.0.1:8080", "Z_MODE": "x"}, {"TLS_KEY": PEM})
    run_module(service_config, dict(args, env=before, env_secret_keys=keys))
    after = env_file_text({"A_ADDR": "127.0.0.1:9090", "Z_MODE": "x"}, {"TLS_KEY": PEM})
    result = run_module(service_config, dict(args, env=after, env_secret_keys=keys, _ansible_diff=True), True)
    _assert_no_secret(result, [*PEM_LINES, "PRIVATE KEY"])
    changes = [line for line in unified(_env_diff(result)).splitlines() if line[:1] in "+-"]
    assert changes[2:] == ['-A_ADDR="127.0.0.1:8080"', '+A_ADDR="127.0.0.1:9090"'], changes
    assert "(changed)" not in json.dumps(result)
    assert 'Z_MODE="x"' in _env_diff(result)["after"]


def test_a_hand_edited_secret_with_its_quote_left_open_is_masked_to_the_end(
    run_module, analyze, args, env_file_text, tmp_path
):
    # systemd reads the rest of such a file as the key's value; so does the mask, before and after.
    keys = ["TLS_KEY"]
    run_module(service_config, dict(args, env=env_file_text({}, {"TLS_KEY": "x"}), env_secret_keys=keys))
    env_path = tmp_path / "etc" / "demo" / "demo.env"
    env_path.write_text(f'A_ADDR="127.0.0.1:8080"\nTLS_KEY="{PEM}\nZ_MODE="after-the-key"\n')
    after = env_file_text({"A_ADDR": "127.0.0.1:8080", "Z_MODE": "y"}, {"TLS_KEY": NEW_PEM})
    result = run_module(service_config, dict(args, env=after, env_secret_keys=keys, _ansible_diff=True))
    _assert_no_secret(result, [*PEM_LINES, *NEW_PEM_LINES, "PRIVATE KEY", "after-the-key"])
    diff = _env_diff(result)
    assert diff["before"] == f'A_ADDR="127.0.0.1:8080"\nTLS_KEY={MASK}\n'
    assert diff["after"].endswith(f'A_ADDR="127.0.0.1:8080"\nTLS_KEY={MASK} (changed)\nZ_MODE="y"\n')


#: The same key written by hand in the other forms systemd reads (or that a hand edit leaves).
HAND_WRITTEN = {
    "single quotes": "TLS_KEY='{pem}'\n",
    "backslash continued": "TLS_KEY={continued}\n",
    "double quotes, escaped": 'TLS_KEY="{escaped}"\n',
    "blanks and export": 'export  TLS_KEY = "{pem}"\n',
    "commented out": '#TLS_KEY="{pem}"\n',
    "crlf": 'TLS_KEY="{crlf}"\r\n',
    "carriage returns": 'TLS_KEY="{cr}"\r',
    "form feeds": 'TLS_KEY="{ff}"\n',
    "unquoted, not continued": "TLS_KEY={pem}\n",
    "inside a continued value": "OTHER=x\\\nTLS_KEY='{pem}'\n",
}


@pytest.mark.parametrize("form", list(HAND_WRITTEN))
def test_a_hand_written_multi_line_secret_is_masked_whole(run_module, analyze, args, env_file_text, tmp_path, form):
    keys = ["TLS_KEY"]
    run_module(service_config, dict(args, env=env_file_text({}, {"TLS_KEY": "x"}), env_secret_keys=keys))
    written = HAND_WRITTEN[form].format(
        pem=PEM,
        continued=PEM.replace("\n", "\\\n"),
        escaped=PEM.replace("-----\n", '\\"-----\\\n'),
        crlf=PEM.replace("\n", "\r\n"),
        cr=PEM.replace("\n", "\r"),
        ff=PEM.replace("\n", "\f"),
    )
    (tmp_path / "etc" / "demo" / "demo.env").write_bytes(f'A_ADDR="1"\n{written}Z_MODE="kept"\n'.encode())
    after = env_file_text({"A_ADDR": "2", "Z_MODE": "kept"}, {"TLS_KEY": "x"})
    result = run_module(service_config, dict(args, env=after, env_secret_keys=keys, _ansible_diff=True))
    _assert_no_secret(result, [*PEM_LINES, "PRIVATE KEY"])
    diff = _env_diff(result)
    assert diff["before"].startswith('A_ADDR="1"\n')
    assert diff["before"].endswith('\nZ_MODE="kept"\n')
    assert 'A_ADDR="2"\n' in diff["after"] and f"TLS_KEY={MASK} (changed)\n" in diff["after"]


SOCKET = "[Socket]\nListenStream=127.0.0.1:80\nFileDescriptorName=demo\nAccept=no\n"


def test_a_socket_unit_is_verified_and_written_beside_the_unit_and_removed_with_a_backup(
    run_module, analyze, args, tmp_path
):
    run_module(service_config, args)
    socket = tmp_path / "systemd" / "demo.socket"
    on = run_module(service_config, dict(args, socket=SOCKET))
    # Only the socket changed: it is verified (with the unit), and written.
    assert on["content_changed"] and len(analyze()) == 2 and on["verify"]["ok"]
    assert socket.read_text() == SOCKET and _mode(socket) == ("root", "root", "0644")
    assert on["created"] == [str(socket)] and on["files"]["socket"]["created"]
    assert not run_module(service_config, dict(args, socket=SOCKET))["changed"]
    off = run_module(service_config, args)
    assert not socket.exists() and off["files"]["socket"]["removed"]
    (backup,) = off["backups"]
    assert backup["dest"] == str(socket) and Path(backup["backup_file"]).read_text() == SOCKET
