# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_systemd_analyze.verify_candidate: a unit and its drop-in verified in a scratch directory.

The stand-in for ``systemd-analyze verify`` prints what systemd 247, 252 and 257 printed for the
same files in the test containers (warnings, exit status 0), with {dir} for the scratch directory.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    AnalyzeError,
    verify_candidate,
    verify_failure,
)

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
MISSING = "demo.service: Command /opt/demo/current/demo is not executable: No such file or directory"


class Analyze:
    """A stand-in runner: records the argv and the files it was given, prints canned lines on stderr."""

    def __init__(self, lines=(), rc=0):
        self.lines, self.rc = list(lines), rc
        self.argv = None
        self.seen = {}

    def __call__(self, argv):
        self.argv = argv
        unit = argv[-1]
        scratch = os.path.dirname(unit)
        for root, _dirs, files in os.walk(scratch):
            for name in files:
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    self.seen[os.path.relpath(path, scratch)] = handle.read()
        return self.rc, "", "\n".join(line.replace("{dir}", scratch) for line in self.lines)


def test_a_clean_unit_passes_and_is_verified_byte_for_byte(tmp_path):
    run = Analyze()
    result = verify_candidate(run, str(tmp_path), "demo.service", UNIT)
    assert result["ok"] and result["dropped"] == [] and result["rc"] == 0
    assert run.argv == ["systemd-analyze", "verify", "--man=no", str(tmp_path / "demo.service")]
    assert run.seen == {"demo.service": UNIT}


@pytest.mark.parametrize("version", sorted(MEASURED))
def test_ignored_lines_fail_with_the_installed_path_and_the_line(tmp_path, version):
    run = Analyze(MEASURED[version])
    result = verify_candidate(run, str(tmp_path), "demo.service", UNIT, DROPIN)
    assert not result["ok"]
    assert run.seen == {"demo.service": UNIT, "demo.service.d/50-gosvc-overrides.conf": DROPIN}
    dropped = result["dropped"]
    assert len(dropped) == 3
    assert dropped[0].startswith(f"{DEST}:3: Unknown key") and dropped[0].endswith("[NoSuchDirective=1]")
    assert dropped[1].startswith(f"{DEST}:4: Failed to parse") and dropped[1].endswith("[LimitCORE=abc]")
    assert dropped[2] == f"{DEST}:5: Unknown section 'Foo'. Ignoring. [[Foo]]"
    assert str(tmp_path) not in result["output"]
    message = verify_failure(result, "demo.service", 252)
    assert message.startswith("systemd 252 would ignore 3 line(s) of demo.service as this run would write it: ")
    assert "come from go_service_unit_overrides" in message
    assert "role's other variables" not in message


@pytest.mark.parametrize("mode", ["strict", "syntax"])
def test_ignored_lines_fail_in_both_modes_even_when_verify_exits_0(tmp_path, mode):
    result = verify_candidate(Analyze(MEASURED[252], rc=0), str(tmp_path), "demo.service", UNIT, DROPIN, mode=mode)
    assert not result["ok"] and result["rc"] == 0


def test_a_dropped_line_of_the_unit_names_the_role_variables(tmp_path):
    line = "{dir}/demo.service:4: Unknown key 'Typo' in section [Service], ignoring."
    unit = UNIT.replace("Type=exec", "Typo=exec")
    result = verify_candidate(Analyze([line]), str(tmp_path), "demo.service", unit)
    assert result["dropped"] == [
        "/etc/systemd/system/demo.service:4: Unknown key 'Typo' in section [Service], ignoring. [Typo=exec]"
    ]
    assert "role's other variables" in verify_failure(result, "demo.service")


def test_strict_mode_fails_when_verify_fails(tmp_path):
    result = verify_candidate(Analyze([MISSING], rc=1), str(tmp_path), "demo.service", UNIT, mode="strict")
    assert not result["ok"] and result["dropped"] == []
    assert verify_failure(result, "demo.service") == (
        f"systemd-analyze verify of demo.service as this run would write it exited with 1: {MISSING}"
    )


def test_syntax_mode_ignores_a_missing_binary(tmp_path):
    result = verify_candidate(Analyze([MISSING], rc=1), str(tmp_path), "demo.service", UNIT, mode="syntax")
    assert result["ok"]


def test_lines_about_other_units_do_not_count(tmp_path):
    other = "/lib/systemd/system/foo.service:3: Unknown key 'Bar' in section [Service], ignoring."
    assert verify_candidate(Analyze([other]), str(tmp_path), "demo.service", UNIT)["ok"]


def test_the_drop_in_name_and_destination_are_the_callers(tmp_path):
    line = "{dir}/demo.service.d/10-x.conf:3: Unknown key 'NoSuchDirective' in section [Service], ignoring."
    result = verify_candidate(
        Analyze([line]),
        str(tmp_path),
        "demo.service",
        UNIT,
        DROPIN,
        dest="/run/systemd/system",
        dropin_name="10-x.conf",
    )
    assert result["dropped"][0].startswith("/run/systemd/system/demo.service.d/10-x.conf:3: ")


def test_an_unknown_mode_is_refused(tmp_path):
    with pytest.raises(AnalyzeError, match="unknown verify mode"):
        verify_candidate(Analyze(), str(tmp_path), "demo.service", UNIT, mode="lenient")
