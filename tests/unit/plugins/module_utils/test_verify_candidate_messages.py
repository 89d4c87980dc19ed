# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify_candidate and verify_failure: what the result and the failure message tell the user.

The stand-in for systemd-analyze is test_verify_candidate.py's Analyze, which answers with what
systemd 247, 252 and 257 printed for the fixture units (tests/unit/data/systemd/). Where
systemd-analyze is installed, the last tests run the real one.
"""

from __future__ import annotations

import locale
import os
import shutil
import subprocess

import pytest
from test_verify_candidate import INSTALLED, RELEASES, Analyze, captured, dropin_text, unit_text

from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    AnalyzeError,
    verify_candidate,
    verify_failure,
)

DROPIN = "50-hardening.conf"


def verify_dropin(tmp_path, release, **kwargs):
    """verify_candidate of the fixture us-dropin.service and its drop-in, as ``release`` answered."""
    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", DROPIN)
    run = Analyze(release, "us-dropin.service")
    return verify_candidate(run, str(tmp_path), "us-dropin.service", unit, dropin, dropin_name=DROPIN, **kwargs)


@pytest.mark.parametrize("release", RELEASES)
def test_output_names_the_installed_paths_not_the_scratch_directory(tmp_path, release):
    """The output reads as verify of the installed files would: scratch paths become the destination."""
    _rc, stderr = captured(release, "us-dropin.service")
    result = verify_dropin(tmp_path, release)
    assert result["output"] == stderr.strip()
    assert result["mode"] == "strict"


@pytest.mark.parametrize("release", RELEASES)
def test_trailing_slashes_on_scratch_and_destination_do_not_change_the_paths(tmp_path, release):
    """A scratch directory or destination given with a trailing '/' gives the same single-slash paths."""
    scratch = tmp_path / "scratch-X"
    scratch.mkdir()
    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", DROPIN)
    run = Analyze(release, "us-dropin.service")
    result = verify_candidate(
        run, f"{scratch}/", "us-dropin.service", unit, dropin, mode="syntax", dest="/srv/X/", dropin_name=DROPIN
    )
    assert result["mode"] == "syntax"
    assert [line.split(": ", 1)[0] for line in result["dropped"]] == [f"/srv/X/us-dropin.service.d/{DROPIN}:3"]
    _rc, stderr = captured(release, "us-dropin.service")
    assert result["output"] == stderr.strip().replace(f"{INSTALLED}/", "/srv/X/")


@pytest.mark.parametrize("release", RELEASES)
def test_a_clean_unit_has_empty_output(tmp_path, release):
    """A unit verify has nothing to say about gives an empty output, not a placeholder."""
    result = verify_candidate(
        Analyze(release, "us-bare.service"), str(tmp_path), "us-bare.service", unit_text("us-bare.service")
    )
    assert result["ok"] and result["output"] == ""


@pytest.mark.parametrize("release", RELEASES)
def test_lines_verify_prints_on_stdout_count_too(tmp_path, release):
    """Dropped lines are found on verify's stdout as well as on its stderr."""
    analyze = Analyze(release, "us-dropin.service")

    def on_stdout(argv):
        rc, out, err = analyze(argv)
        return rc, err, out

    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", DROPIN)
    result = verify_candidate(on_stdout, str(tmp_path), "us-dropin.service", unit, dropin, dropin_name=DROPIN)
    assert len(result["dropped"]) == 1 and not result["ok"]
    assert result["dropped"][0].endswith(" [ProtectHomee=yes]")


@pytest.mark.parametrize("release", RELEASES)
def test_a_line_number_beyond_the_file_quotes_nothing(tmp_path, release):
    """A dropped line whose number is past the end of the file written is reported with an empty quote."""
    short = "[Service]\nExecStart=/bin/true\n"
    result = verify_candidate(Analyze(release, "us-unknownkey.service"), str(tmp_path), "us-unknownkey.service", short)
    (line,) = result["dropped"]
    assert line.startswith(f"{INSTALLED}/us-unknownkey.service:6: ")
    assert line.endswith("ignoring. []")


def test_unknown_mode_error_lists_the_modes(tmp_path):
    """An unknown mode is refused with the list of modes to use."""
    with pytest.raises(AnalyzeError, match=r"^unknown verify mode 'lenient': use one of syntax, strict$"):
        verify_candidate(Analyze("debian12", "us-bare.service"), str(tmp_path), "us-bare.service", "", mode="lenient")


def test_verify_failing_without_output_says_no_output(tmp_path):
    """In strict mode a verify that fails without printing anything is reported as 'no output'."""

    def silent_failure(argv):
        return 1, "", ""

    result = verify_candidate(silent_failure, str(tmp_path), "us-bare.service", unit_text("us-bare.service"))
    assert not result["ok"] and result["output"] == ""
    assert verify_failure(result, "us-bare.service", 257) == (
        "systemd-analyze verify of us-bare.service as this run would write it exited with 1: no output"
    )


def test_a_unit_is_written_as_utf8_whatever_the_locale(tmp_path):
    """Unit files are UTF-8 to systemd: non-ASCII text is written as UTF-8 even under an ASCII locale."""
    unit = unit_text("us-bare.service").replace("Description=", "Description=Dienst für München: ", 1)
    run = Analyze("debian12", "us-bare.service")
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        result = verify_candidate(run, str(tmp_path), "us-bare.service", unit)
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    assert result["ok"]
    assert run.seen == {"us-bare.service": unit}


# --- the real systemd-analyze, where it is installed ------------------------------------------

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")


def real_analyze(argv):
    done = subprocess.run(
        [ANALYZE, *argv[1:]], capture_output=True, text=True, env=dict(os.environ, **COMMAND_ENV), check=False
    )
    return done.returncode, done.stdout, done.stderr


#: A unit with two lines verify warns about but keeps (lines 5 and 6), then one it drops (line 7).
UNIT = (
    "[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/true\nStandardOutput=syslog\nUser=nobody\nProtectHomee=yes\n"
)
#: A drop-in whose first line is a misspelt section header.
DROPIN_TEXT = "[Servic]\nProtectHome=yes\n"


@needs_analyze
def test_dropped_lines_after_kept_warnings_and_on_line_1_are_all_reported(tmp_path):
    """Every dropped line is reported, after lines verify only warns about and on the first line of a file."""
    result = verify_candidate(real_analyze, str(tmp_path), "demo.service", UNIT, DROPIN_TEXT)
    assert not result["ok"]
    assert [(line.split(": ", 1)[0], line.rsplit(" [", 1)[1]) for line in result["dropped"]] == [
        (f"{INSTALLED}/demo.service:7", "ProtectHomee=yes]"),
        (f"{INSTALLED}/demo.service.d/50-gosvc-overrides.conf:1", "[Servic]]"),
    ]


@needs_analyze
def test_failure_message_names_both_sources_of_dropped_lines(tmp_path):
    """The failure message lists every dropped line and names the variables each file comes from."""
    result = verify_candidate(real_analyze, str(tmp_path), "demo.service", UNIT, DROPIN_TEXT)
    message = verify_failure(result, "demo.service")
    dropped = result["dropped"]
    assert message.startswith("systemd would ignore 2 line(s) of demo.service as this run would write it: ")
    assert f": {'; '.join(dropped)}. Lines of 50-gosvc-overrides.conf come from go_service_unit_overrides" in message
    assert (
        "(a misspelt directive, one this systemd version does not know, or a value it cannot parse). "
        "Lines of demo.service come from the role's other variables (go_service_args, go_service_exec_start_pre, ...)."
    ) in message
