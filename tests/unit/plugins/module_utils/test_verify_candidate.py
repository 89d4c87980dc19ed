# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_systemd_analyze.verify_candidate: a unit and its drop-in verified in a scratch directory.

The units are the real fixture units of tests/unit/data/systemd/units/, and the stand-in for
``systemd-analyze verify`` answers with what systemd 247, 252 and 257 printed for those very files
(``verify.<unit>.txt`` in each release's manifest.json: exit status and stderr, captured as
tests/unit/data/systemd/README.md describes). The capture verified /etc/systemd/system/<unit>;
verify_candidate verifies <scratch>/<unit>, so the stand-in prints the captured lines with that
directory in place of /etc/systemd/system, and nothing else changed. Where systemd-analyze is
installed on this machine, the last tests run the real one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    AnalyzeError,
    verify_candidate,
    verify_failure,
)

DATA = Path(__file__).resolve().parents[3] / "unit" / "data" / "systemd"
UNITS = DATA / "units"
RELEASES = ("debian11", "debian12", "debian13")
INSTALLED = "/etc/systemd/system"


def captured(release, unit):
    """(rc, stderr) of ``systemd-analyze verify --man=no /etc/systemd/system/<unit>`` on ``release``."""
    manifest = json.loads((DATA / release / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [c for c in manifest["captures"] if c["name"] == f"verify.{unit.removesuffix('.service')}.txt"]
    assert entry["argv"] == ["systemd-analyze", "verify", "--man=no", f"{INSTALLED}/{unit}"]
    assert entry.get("stdout", "") == "" and "stdout_file" not in entry  # verify prints to stderr only
    return entry["rc"], entry["stderr"]


def unit_text(unit):
    return (UNITS / unit).read_text(encoding="utf-8")


def dropin_text(unit, name):
    return (UNITS / f"{unit}.d" / name).read_text(encoding="utf-8")


class Analyze:
    """Stands in for systemd-analyze verify: records the argv and the files it was given, answers as captured."""

    def __init__(self, release, unit, into_scratch=True):
        self.rc, self.stderr = captured(release, unit)
        self.into_scratch = into_scratch
        self.argv = None
        self.seen = {}

    def __call__(self, argv):
        self.argv = argv
        scratch = os.path.dirname(argv[-1])
        for root, _dirs, files in os.walk(scratch):
            for name in files:
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    self.seen[os.path.relpath(path, scratch)] = handle.read()
        stderr = self.stderr.replace(f"{INSTALLED}/", f"{scratch}/") if self.into_scratch else self.stderr
        return self.rc, "", stderr


@pytest.mark.parametrize("release", RELEASES)
def test_a_clean_unit_passes_and_is_verified_byte_for_byte(tmp_path, release):
    run = Analyze(release, "us-bare.service")
    result = verify_candidate(run, str(tmp_path), "us-bare.service", unit_text("us-bare.service"))
    assert result["ok"] and result["dropped"] == [] and result["rc"] == 0
    assert run.argv == ["systemd-analyze", "verify", "--man=no", str(tmp_path / "us-bare.service")]
    assert run.seen == {"us-bare.service": unit_text("us-bare.service")}


@pytest.mark.parametrize("release", RELEASES)
def test_an_ignored_line_of_the_drop_in_fails_with_the_installed_path_and_the_line(tmp_path, release):
    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", "50-hardening.conf")
    run = Analyze(release, "us-dropin.service")
    result = verify_candidate(run, str(tmp_path), "us-dropin.service", unit, dropin, dropin_name="50-hardening.conf")
    assert not result["ok"] and result["rc"] == 0  # systemd-analyze verify exits 0 for an unknown key
    assert run.seen == {"us-dropin.service": unit, "us-dropin.service.d/50-hardening.conf": dropin}
    wording = (
        "Unknown key name 'ProtectHomee' in section 'Service', ignoring."
        if release == "debian11"
        else "Unknown key 'ProtectHomee' in section [Service], ignoring."
    )
    assert result["dropped"] == [f"{INSTALLED}/us-dropin.service.d/50-hardening.conf:3: {wording} [ProtectHomee=yes]"]
    assert str(tmp_path) not in result["output"]
    message = verify_failure(result, "us-dropin.service", 252, dropin_name="50-hardening.conf")
    assert message.startswith("systemd 252 would ignore 1 line(s) of us-dropin.service as this run would write it: ")
    assert "Lines of 50-hardening.conf come from go_service_unit_overrides" in message
    assert "role's other variables" not in message


@pytest.mark.parametrize("mode", ["strict", "syntax"])
@pytest.mark.parametrize("release", RELEASES)
def test_ignored_lines_fail_in_both_modes_even_when_verify_exits_0(tmp_path, release, mode):
    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", "50-hardening.conf")
    run = Analyze(release, "us-dropin.service")
    result = verify_candidate(
        run, str(tmp_path), "us-dropin.service", unit, dropin, mode=mode, dropin_name="50-hardening.conf"
    )
    assert not result["ok"] and result["rc"] == 0


#: Units whose own lines systemd drops: (unit, [(line number, the line)]), the same on every release.
UNIT_PROBLEMS = {
    "us-unknownkey.service": [(6, "ProtectSystemm=strict")],
    "us-wrongsection.service": [(3, "Restart=on-failure"), (7, "After=network.target")],
    "us-unknownsection.service": [(7, "[Instal]")],
}


@pytest.mark.parametrize("unit", sorted(UNIT_PROBLEMS))
@pytest.mark.parametrize("release", RELEASES)
def test_a_dropped_line_of_the_unit_names_the_role_variables(tmp_path, release, unit):
    result = verify_candidate(Analyze(release, unit), str(tmp_path), unit, unit_text(unit))
    assert not result["ok"]
    dropped = result["dropped"]
    assert [line.split(": ", 1)[0] for line in dropped] == [f"{INSTALLED}/{unit}:{n}" for n, _l in UNIT_PROBLEMS[unit]]
    assert [line.rsplit(" [", 1)[1] for line in dropped] == [f"{text}]" for _n, text in UNIT_PROBLEMS[unit]]
    message = verify_failure(result, unit)
    assert "role's other variables" in message and "go_service_unit_overrides" not in message


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("unit", ["us-badexec.service", "us-missingdep.service"])
def test_strict_mode_fails_when_verify_fails_and_syntax_mode_does_not(tmp_path, release, unit):
    rc, stderr = captured(release, unit)
    assert rc == 1
    (tmp_path / "strict").mkdir()
    (tmp_path / "syntax").mkdir()
    result = verify_candidate(Analyze(release, unit), str(tmp_path / "strict"), unit, unit_text(unit), mode="strict")
    assert not result["ok"] and result["dropped"] == [] and result["rc"] == 1
    assert verify_failure(result, unit) == (
        f"systemd-analyze verify of {unit} as this run would write it exited with 1: {stderr.strip()}"
    )
    relaxed = verify_candidate(Analyze(release, unit), str(tmp_path / "syntax"), unit, unit_text(unit), mode="syntax")
    assert relaxed["ok"] and relaxed["dropped"] == []


@pytest.fixture
def scratch(tmp_path):
    path = tmp_path / "scratch"
    path.mkdir()
    return path


@pytest.mark.parametrize("release", RELEASES)
def test_lines_about_another_unit_file_do_not_count(scratch, release):
    # The captured line about the installed /etc/systemd/system/us-unknownkey.service, printed while a
    # candidate of that name is verified from the scratch directory: it is about a file not written here.
    run = Analyze(release, "us-unknownkey.service", into_scratch=False)
    result = verify_candidate(run, str(scratch), "us-unknownkey.service", unit_text("us-bare.service"))
    assert result["ok"] and result["dropped"] == []
    assert "ProtectSystemm" in result["output"]


@pytest.mark.parametrize("release", RELEASES)
def test_the_drop_in_name_and_destination_are_the_callers(tmp_path, release):
    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", "50-hardening.conf")
    result = verify_candidate(
        Analyze(release, "us-dropin.service"),
        str(tmp_path),
        "us-dropin.service",
        unit,
        dropin,
        dest="/run/systemd/system",
        dropin_name="50-hardening.conf",
    )
    assert len(result["dropped"]) == 1
    assert result["dropped"][0].startswith("/run/systemd/system/us-dropin.service.d/50-hardening.conf:3: ")


def test_an_unknown_mode_is_refused(tmp_path):
    with pytest.raises(AnalyzeError, match="unknown verify mode"):
        verify_candidate(Analyze("debian12", "us-bare.service"), str(tmp_path), "us-bare.service", "", mode="lenient")


# --- the real systemd-analyze, where it is installed ------------------------------------------

ANALYZE = shutil.which("systemd-analyze")


def real_analyze(argv):
    done = subprocess.run(
        [ANALYZE, *argv[1:]], capture_output=True, text=True, env=dict(os.environ, **COMMAND_ENV), check=False
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")
def test_a_value_systemd_cannot_parse_is_a_dropped_line(tmp_path):
    # No capture has a value systemd cannot parse; the installed systemd-analyze prints its own wording.
    dropin = "[Service]\nLimitNOFILE=16384\nLimitCORE=abc\n"
    result = verify_candidate(real_analyze, str(tmp_path), "us-bare.service", unit_text("us-bare.service"), dropin)
    assert not result["ok"]
    (line,) = result["dropped"]
    assert line.startswith(f"{INSTALLED}/us-bare.service.d/50-gosvc-overrides.conf:3: Failed to parse ")
    assert line.endswith(" [LimitCORE=abc]")


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")
def test_the_real_systemd_analyze_agrees_with_the_capture_on_a_drop_in(tmp_path):
    unit, dropin = unit_text("us-dropin.service"), dropin_text("us-dropin.service", "50-hardening.conf")
    result = verify_candidate(
        real_analyze, str(tmp_path), "us-dropin.service", unit, dropin, dropin_name="50-hardening.conf"
    )
    (line,) = result["dropped"]
    assert line.startswith(f"{INSTALLED}/us-dropin.service.d/50-hardening.conf:3: Unknown key ")
    assert line.endswith(" [ProtectHomee=yes]")


def test_a_socket_unit_is_verified_under_the_name_it_is_given_beside_the_unit(tmp_path):
    run = Analyze("debian12", "us-bare.service")
    socket = "[Socket]\nListenStream=127.0.0.1:80\n"
    result = verify_candidate(
        run, str(tmp_path), "us-bare.service", unit_text("us-bare.service"), socket=socket, socket_name="us-bare.socket"
    )
    assert result["ok"]
    assert run.argv == ["systemd-analyze", "verify", "--man=no", str(tmp_path / "us-bare.service"),
                        str(tmp_path / "us-bare.socket")]  # fmt: skip
    assert run.seen == {"us-bare.service": unit_text("us-bare.service"), "us-bare.socket": socket}
    with pytest.raises(AnalyzeError, match="needs its file name"):
        verify_candidate(run, str(tmp_path / "x"), "us-bare.service", "", socket=socket)
