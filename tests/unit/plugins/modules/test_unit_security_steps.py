# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""assess_unit, the steps behind unit_security: defaults, and what each failing step reports.

The commands are answered from the captures of tests/unit/data/systemd/ through
test_unit_security.py's Replay (a command not captured with exactly that argv and environment
fails the test). Where a step must fail, one answer is replaced: by another real capture, by a
real capture with one line altered, or by a command that exits non-zero without printing anything.
"""

from __future__ import annotations

import pytest
import test_unit_security as unit_security_tests

from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    StepError,
    assess_unit,
)

BINS = unit_security_tests.BINS
ANALYZE = BINS["systemd-analyze"]
SILENT_FAILURE = (1, "", "")


def captured(release, name):
    """(rc, stdout, stderr) of the capture ``name`` on ``release``."""
    replay = unit_security_tests.Replay(release)
    entry = replay.by_name[name]
    return entry["rc"], replay.stdout(entry), entry["stderr"]


def runner(release, answers=None):
    """``run(argv, extra_env)`` as assess_unit calls it: the capture's answer, or ``answers[capture name]``."""
    replay = unit_security_tests.Replay(release)

    def run(argv, extra_env):
        answer = replay(list(argv), dict(COMMAND_ENV, **extra_env))
        return (answers or {}).get(replay.calls[-1], answer)

    run.calls = replay.calls
    return run


def altered_show(release, unit, key, value):
    """The captured ``systemctl show`` answer for ``unit`` with property ``key`` set to ``value``."""
    rc, out, err = captured(release, f"show.{unit}.txt")
    lines = [f"{key}={value}" if line.startswith(f"{key}=") else line for line in out.splitlines()]
    assert lines != out.splitlines()
    return rc, "\n".join(lines) + "\n", err


def failure(run, unit="us-bare.service", **kwargs):
    """The StepError assess_unit raises for ``unit``."""
    with pytest.raises(StepError) as caught:
        assess_unit(run, BINS, unit, **kwargs)
    return caught.value


def test_defaults_read_json_verify_the_file_and_list_five_worst():
    """Called with defaults, assess_unit uses JSON where systemd has it, verifies the unit file and lists 5 checks."""
    run = runner("debian12")
    result = assess_unit(run, BINS, "us-typical.service")
    assert result["source"] == "json"
    assert run.calls[-1] == "verify.us-typical.txt"
    assert [(p["kind"], p["line"]) for p in result["verify_problems"]] == [("other", 6)]
    failing = [c for c in result["checks"] if c["exposure"]]
    assert len(failing) > 5 and len(result["worst"]) == 5
    assert (result["unit"], result["active_state"], result["load_state"]) == ("us-typical.service", "active", "loaded")


def test_without_verify_the_problem_lists_are_empty():
    """verify_unit_file=False runs no verify and reports empty verify_problems and verify_ignored lists."""
    run = runner("debian12")
    result = assess_unit(run, BINS, "us-unknownkey.service", verify_unit_file=False)
    assert not any(name.startswith("verify.") for name in run.calls)
    assert (result["verify_problems"], result["verify_ignored"]) == ([], [])


def test_masked_unit_is_refused_as_masked():
    """A masked unit is refused before analysis, saying it is masked and how to fix it."""
    run = runner("debian12", {"show.us-bare.txt": altered_show("debian12", "us-bare", "LoadState", "masked")})
    error = failure(run)
    assert error.msg == (
        "Analyzing us-bare.service: the unit is masked (LoadState=masked); "
        "install its unit file and run systemctl daemon-reload"
    )
    assert run.calls == ["version.txt", "show.us-bare.txt"]


def test_unknown_unit_error_carries_what_systemctl_said():
    """The not-found error carries the unit's facts (version, load state, paths) into the result."""
    error = failure(runner("debian13"), "gosvc-no-such-unit.service")
    assert "the unit is not known to systemd (LoadState=not-found)" in error.msg
    assert error.facts == {
        "unit": "gosvc-no-such-unit.service",
        "systemd_version": 257,
        "load_state": "not-found",
        "active_state": "inactive",
        "fragment_path": "",
        "dropin_paths": [],
    }


def test_show_printing_nothing_is_a_missing_load_state():
    """systemctl show printing no properties is refused as LoadState=missing, with empty facts."""
    error = failure(runner("debian12", {"show.us-bare.txt": (0, "", "")}))
    assert error.msg == (
        "Analyzing us-bare.service: the unit is not known to systemd (LoadState=missing); "
        "install its unit file and run systemctl daemon-reload"
    )
    assert error.facts == {
        "unit": "us-bare.service",
        "systemd_version": 252,
        "load_state": "",
        "active_state": "",
        "fragment_path": "",
        "dropin_paths": [],
    }


def test_unreadable_version_output_is_a_step_error():
    """--version output without a version line fails the 'Reading the systemd version' step."""
    run = runner("debian12", {"version.txt": captured("debian12", "help.txt")})
    with pytest.raises(StepError, match=r"^Reading the systemd version: no 'systemd N' line"):
        assess_unit(run, BINS, "us-bare.service")


def test_a_command_failing_silently_says_no_output():
    """A command that fails without printing anything is reported with its exit code and 'no output'."""
    error = failure(runner("debian12", {"version.txt": SILENT_FAILURE}))
    assert error.msg == f"Running {ANALYZE} --version: exit code 1: no output"
    assert error.facts == {"command": [ANALYZE, "--version"], "rc": 1, "stdout": "", "stderr": ""}


def test_table_command_failure_carries_command_rc_and_output():
    """A failing security command is reported with its argv, exit code, stdout and stderr."""
    rc, out, err = captured("debian12", "security.missing.txt")
    error = failure(runner("debian12", {"security.us-bare.txt": (rc, out, err)}), use_json="never")
    argv = [ANALYZE, "security", "--no-pager", "us-bare.service"]
    assert error.msg == f"Running {' '.join(argv)}: exit code 1: {err.strip()}"
    assert (error.facts["command"], error.facts["rc"], error.facts["stdout"], error.facts["stderr"]) == (
        argv,
        1,
        out,
        err,
    )
    assert error.facts["systemd_version"] == 252


def test_json_command_failure_that_is_not_a_rejection_fails():
    """--json failing for another reason than an unknown option is a failure, not a fall-back to the table."""
    rc, out, err = captured("debian12", "security.missing.short.json")
    run = runner("debian12", {"security.us-bare.debug.json": (rc, out, err)})
    error = failure(run)
    argv = [ANALYZE, "security", "--no-pager", "--json=short", "us-bare.service"]
    assert (
        error.msg
        == f"Running {' '.join(argv)}: exit code 1: Unit gosvc-no-such-unit.service not found, cannot analyze."
    )
    assert (error.facts["command"], error.facts["rc"], error.facts["stdout"], error.facts["stderr"]) == (
        argv,
        1,
        out,
        err,
    )
    assert run.calls[-1] == "security.us-bare.debug.json"


def test_json_that_does_not_parse_names_the_command_and_keeps_stdout():
    """Unreadable JSON fails naming the command, with what it printed in stdout."""
    table = captured("debian12", "security.us-bare.txt")
    error = failure(runner("debian12", {"security.us-bare.debug.json": table}))
    assert error.msg.startswith(
        f"Reading the output of {ANALYZE} security --no-pager --json=short us-bare.service: "
        "security JSON does not parse"
    )
    assert error.facts["stdout"] == table[1]


def test_table_that_does_not_parse_names_the_command_and_keeps_stdout():
    """An unreadable table fails naming the command, with what it printed in stdout."""
    version = captured("debian12", "version.txt")
    error = failure(runner("debian12", {"security.us-bare.txt": version}), use_json="never")
    assert error.msg == (
        f"Reading the output of {ANALYZE} security --no-pager us-bare.service: "
        "no NAME ... DESCRIPTION ... EXPOSURE header line in the security table"
    )
    assert error.facts["stdout"] == version[1]


@pytest.mark.parametrize("use_json", ["never", "auto"])
def test_a_table_about_another_unit_is_refused(use_json):
    """The table read for the overall figure must be about the unit asked for (JSON without weights too)."""
    answers = {
        "security.us-bare.txt": captured("debian12", "security.us-hardened.txt"),
        "security.us-bare.debug.json": captured("debian12", "security.us-bare.short.json"),
    }
    error = failure(runner("debian12", answers), use_json=use_json)
    assert error.msg.endswith("the security table is for us-hardened.service, not us-bare.service")


def test_unit_without_a_file_is_not_verified_and_says_why():
    """A loaded unit whose FragmentPath is empty is not verified; a note says so."""
    run = runner("debian12", {"show.us-bare.txt": altered_show("debian12", "us-bare", "FragmentPath", "")})
    result = assess_unit(run, BINS, "us-bare.service")
    assert not any(name.startswith("verify.") for name in run.calls)
    assert result["notes"] == ["not verified: systemd reports no unit file (FragmentPath is empty)"]
    assert result["verify_problems"] == [] and result["failed_reasons"] == []


def test_verify_failing_without_output_is_a_problem():
    """verify exiting non-zero without a word is still a problem of the unit file, with its exit code."""
    result = assess_unit(runner("debian12", {"verify.us-bare.txt": SILENT_FAILURE}), BINS, "us-bare.service")
    fragment = "/etc/systemd/system/us-bare.service"
    assert result["verify_problems"] == [
        {
            "text": "systemd-analyze verify exited with code 1 without saying why",
            "kind": "exit-status",
            "file": fragment,
            "line": None,
        }
    ]
    assert result["failed_reasons"] == [
        f"systemd-analyze verify {fragment} reported 1 problem: "
        "systemd-analyze verify exited with code 1 without saying why"
    ]
