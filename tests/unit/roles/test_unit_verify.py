# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/go_service/files/unit_verify.sh against a stand-in systemd-analyze.

The stand-in prints what systemd 247, 252 and 257 printed for the same
files in the test containers (warnings on stderr, exit status 0), with
{dir} standing for the scratch directory the script verifies in.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = (ROOT / "roles" / "go_service" / "files" / "unit_verify.sh").read_text()

UNIT = """[Unit]
Description=demo
[Service]
Type=exec
ExecStart=/opt/demo/current/demo
Environment=PATTERN=a\\nb\\tc
"""
DROPIN = """[Service]
LimitNOFILE=16384
NoSuchDirective=1
LimitCORE=abc
[Foo]
Bar=1
"""

# Measured: systemd-analyze verify DIR/demo.service with DIR/demo.service.d/50-gosvc-overrides.conf = DROPIN.
CONF = "{dir}/demo.service.d/50-gosvc-overrides.conf"
MEASURED = {
    247: [
        f"{CONF}:3: Unknown key name 'NoSuchDirective' in section 'Service', ignoring.",
        f"{CONF}:4: Failed to parse resource value, ignoring: abc",
        f"{CONF}:5: Unknown section 'Foo'. Ignoring.",
    ],
    252: [
        f"{CONF}:3: Unknown key 'NoSuchDirective' in section [Service], ignoring.",
        f"{CONF}:4: Failed to parse resource value, ignoring: abc",
        f"{CONF}:5: Unknown section 'Foo'. Ignoring.",
    ],
    257: [
        f"{CONF}:3: Unknown key 'NoSuchDirective' in section [Service], ignoring.",
        f"{CONF}:4: Failed to parse LimitCORE=abc, ignoring: Invalid argument",
        f"{CONF}:5: Unknown section 'Foo'. Ignoring.",
    ],
}
DEST = "/etc/systemd/system/demo.service.d/50-gosvc-overrides.conf"

STUB = """#!/bin/sh
# stand-in for systemd-analyze: record what it was given, print the canned lines
[ "$1" = verify ] && [ "$2" = --man=no ] || { echo "unexpected arguments: $*" >&2; exit 99; }
unit=$3
dir=$(dirname "$unit")
{ echo "unit=$unit"; echo "colors=$SYSTEMD_LOG_COLOR$SYSTEMD_COLORS"; ls "$unit.d" 2>/dev/null; } > "$STUB_LOG"
cp "$unit" "$STUB_LOG.unit"
[ -f "$unit.d/50-gosvc-overrides.conf" ] && cp "$unit.d/50-gosvc-overrides.conf" "$STUB_LOG.dropin"
printf '%s\\n' "$STUB_OUTPUT" | sed "s|{dir}|$dir|g" | sed '/^$/d' >&2
exit "${STUB_RC:-0}"
"""


@pytest.fixture
def stub(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "systemd-analyze"
    tool.write_text(STUB)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return bindir, tmp_path / "stub.log"


def run(stub, *args, output="", rc=0):
    bindir, log = stub
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", STUB_OUTPUT=output, STUB_RC=str(rc))
    env["STUB_LOG"] = str(log)
    return subprocess.run(
        ["/bin/sh", "-c", SCRIPT, "unit-verify", *args], env=env, capture_output=True, text=True, check=False
    )


pytestmark = pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh")


def test_clean_unit_passes_and_the_unit_is_written_byte_for_byte(stub):
    result = run(stub, "strict", "demo.service", UNIT)
    assert result.returncode == 0, result
    assert result.stdout == ""
    _bindir, log = stub
    # the content went through unchanged: no echo escapes, one trailing newline added by the here-document
    assert Path(f"{log}.unit").read_text() == UNIT + "\n"
    assert "colors=00" in log.read_text()
    assert not Path(f"{log}.dropin").exists()


@pytest.mark.parametrize("version", sorted(MEASURED))
def test_ignored_lines_fail_with_the_installed_path_and_the_line(stub, version):
    result = run(stub, "strict", "demo.service", UNIT, DROPIN, output="\n".join(MEASURED[version]))
    assert result.returncode == 1, result
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{DEST}:3: Unknown key")
    assert lines[0].endswith("[NoSuchDirective=1]")
    assert lines[1].startswith(f"{DEST}:4: Failed to parse")
    assert lines[1].endswith("[LimitCORE=abc]")
    assert lines[2] == f"{DEST}:5: Unknown section 'Foo'. Ignoring. [[Foo]]"
    _bindir, log = stub
    # the drop-in was verified together with the unit, from NAME.d/ beside it
    assert "50-gosvc-overrides.conf" in log.read_text()
    assert Path(f"{log}.dropin").read_text() == DROPIN + "\n"


@pytest.mark.parametrize("mode", ["strict", "syntax"])
def test_ignored_lines_fail_in_both_modes_even_when_verify_exits_0(stub, mode):
    result = run(stub, mode, "demo.service", UNIT, DROPIN, output="\n".join(MEASURED[252]), rc=0)
    assert result.returncode == 1


def test_strict_mode_fails_when_verify_fails(stub):
    missing = "demo.service: Command /opt/demo/current/demo is not executable: No such file or directory"
    result = run(stub, "strict", "demo.service", UNIT, output=missing, rc=1)
    assert result.returncode == 2
    assert "systemd-analyze verify exited with 1" in result.stdout
    assert missing in result.stdout


def test_syntax_mode_ignores_a_missing_binary(stub):
    missing = "demo.service: Command /opt/demo/current/demo is not executable: No such file or directory"
    result = run(stub, "syntax", "demo.service", UNIT, output=missing, rc=1)
    assert result.returncode == 0, result


def test_lines_about_other_units_do_not_count(stub):
    other = "/lib/systemd/system/foo.service:3: Unknown key 'Bar' in section [Service], ignoring."
    result = run(stub, "strict", "demo.service", UNIT, output=other)
    assert result.returncode == 0, result


def test_files_given_as_at_path(stub, tmp_path):
    unit = tmp_path / "unit"
    unit.write_text(UNIT)
    dropin = tmp_path / "dropin"
    dropin.write_text(DROPIN)
    result = run(stub, "strict", "demo.service", f"@{unit}", f"@{dropin}")
    assert result.returncode == 0, result
    _bindir, log = stub
    assert Path(f"{log}.unit").read_text() == UNIT
    assert Path(f"{log}.dropin").read_text() == DROPIN


def test_scratch_directory_is_removed(stub):
    result = run(stub, "strict", "demo.service", UNIT, DROPIN)
    assert result.returncode == 0
    _bindir, log = stub
    unit_path = log.read_text().splitlines()[0].split("=", 1)[1]
    assert not Path(unit_path).parent.exists()


def test_config_tasks_double_the_percent_signs_for_validate():
    # template's validate= is formatted with "%"; the script's ${x%%y} must survive it
    assert "%" in SCRIPT
    tasks = yaml.safe_load((ROOT / "roles" / "go_service" / "tasks" / "config.yml").read_text())
    validating = [t for t in tasks if "validate" in t.get("ansible.builtin.template", {})]
    assert len(validating) == 2
    for task in validating:
        assert "unit-verify strict" in task["ansible.builtin.template"]["validate"]
        assert "replace('%', '%%')" in task["vars"]["__go_service_unit_verify_sh"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shellcheck():
    path = ROOT / "roles" / "go_service" / "files" / "unit_verify.sh"
    subprocess.run(["shellcheck", str(path)], check=True)
