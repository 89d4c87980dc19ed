# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_systemd_analyze's parsers at their edges: bad input names what is wrong, boundaries hold.

Inputs are the real captures of tests/unit/data/systemd/ (see its README), with one line or one
value altered where a test needs bad input.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _systemd_analyze as sa
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    COMMAND_ENV,
    JSON_DEBUG_ENV,
    NOT_APPLICABLE,
    AnalyzeError,
    classify_verify,
    command_on_exec_path,
    compute_exposure_tenths,
    is_service_name,
    level_for,
    parse_security_json,
    parse_security_table,
    parse_show,
    parse_version,
    setting_of,
)

DATA = Path(__file__).resolve().parents[3] / "unit" / "data" / "systemd"
UNIT_DIR = "/etc/systemd/system"


def read(release: str, name: str) -> str:
    return (DATA / release / name).read_text(encoding="utf-8")


def verify_stderr(release: str, stem: str) -> str:
    """What ``systemd-analyze verify`` printed (stderr) for a fixture unit on ``release``."""
    manifest = json.loads((DATA / release / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [c for c in manifest["captures"] if c["name"] == f"verify.{stem}.txt"]
    return entry["stderr"]


def table_lines(name: str = "security.us-typical.txt") -> list:
    return read("debian12", name).splitlines()


def debug_items() -> list:
    return json.loads(read("debian12", "security.us-typical.debug.json"))


# --- the security table ----------------------------------------------------------------------


def test_table_error_without_header_starts_with_what_is_missing():
    """A text without the table header is refused with a message that names the missing header."""
    with pytest.raises(AnalyzeError, match=r"^no NAME \.\.\. DESCRIPTION \.\.\. EXPOSURE header line"):
        parse_security_table(read("debian12", "version.txt"))


def test_table_header_without_exposure_column_is_not_a_header():
    """A NAME DESCRIPTION line is the header only when it ends in EXPOSURE."""
    lines = table_lines()
    lines[0] = lines[0].replace("EXPOSURE", "")
    with pytest.raises(AnalyzeError, match=r"^no NAME \.\.\. DESCRIPTION \.\.\. EXPOSURE header line"):
        parse_security_table("\n".join(lines))


def test_table_error_without_overall_line_starts_with_what_is_missing():
    """A table cut before its overall line is refused, naming the missing line."""
    text = read("debian12", "security.us-typical.txt")
    with pytest.raises(AnalyzeError, match=r"^no 'Overall exposure level for UNIT: N\.N LEVEL' line"):
        parse_security_table(text[: text.index("→ Overall")])


def test_table_error_without_rows_starts_with_what_is_missing():
    """A header and an overall line with nothing between are refused as a table without rows."""
    lines = table_lines()
    with pytest.raises(AnalyzeError, match=r"^the security table has no rows$"):
        parse_security_table("\n".join([lines[0], lines[-1]]))


def test_table_row_without_a_name_is_refused_and_quoted():
    """A row whose NAME cell is blank is refused, and the message quotes the row."""
    lines = table_lines()
    name_start = lines[0].index("NAME")
    description_start = lines[0].index("DESCRIPTION")
    lines[1] = lines[1][:name_start] + " " * (description_start - name_start) + lines[1][description_start:]
    with pytest.raises(AnalyzeError, match=r"^security table row without a name: ") as caught:
        parse_security_table("\n".join(lines))
    assert repr(lines[1]) in str(caught.value)


@pytest.mark.parametrize("column", ["WEIGHT", "BADNESS", "RANGE"])
def test_debug_table_with_a_non_numeric_cell_names_the_column_and_the_row(column):
    """A WEIGHT/BADNESS/RANGE cell that is not a number is refused, naming the column and quoting the row."""
    lines = table_lines("security.us-typical.debug.txt")
    header, row = lines[0], lines[1]
    labels = ["WEIGHT", "BADNESS", "RANGE", "EXPOSURE"]
    start, end = header.index(column), header.index(labels[labels.index(column) + 1])
    assert row[start:end].strip().isdigit()
    lines[1] = row[:start] + "x".rjust(end - start - 1) + " " + row[end:]
    with pytest.raises(AnalyzeError, match=rf"^{column} is not a number in security table row: ") as caught:
        parse_security_table("\n".join(lines))
    assert repr(lines[1]) in str(caught.value)


# --- JSON ------------------------------------------------------------------------------------


def test_json_error_for_an_empty_list_starts_with_what_is_wrong():
    """An empty JSON list is refused as not a non-empty list of checks."""
    with pytest.raises(AnalyzeError, match=r"^security JSON is not a non-empty list of checks$"):
        parse_security_json("[]")


def test_json_result_names_no_unit():
    """The JSON carries no unit name, so the parsed result has unit None (the caller knows the unit)."""
    parsed = parse_security_json(read("debian12", "security.us-typical.debug.json"))
    assert "unit" in parsed and parsed["unit"] is None


def test_json_item_without_description_gets_an_empty_one():
    """A check without a description is reported with an empty description, not a made-up one."""
    items = debug_items()
    del items[0]["description"]
    checks = parse_security_json(json.dumps(items))["checks"]
    assert checks[0]["name"] == items[0]["name"]
    assert checks[0]["description"] == ""


def test_json_with_every_check_not_applicable_has_no_exposure():
    """With no applicable check there is no exposure to compute: a clear error, not a number."""
    items = debug_items()
    for item in items:
        item["badness"] = NOT_APPLICABLE
    with pytest.raises(AnalyzeError, match=r"^no applicable checks to compute an exposure from$"):
        parse_security_json(json.dumps(items))


def test_json_check_with_a_zero_range_is_refused():
    """A check whose range is 0 cannot be scored: refused, naming the check."""
    items = debug_items()
    items[0]["badness"] = 0
    items[0]["range"] = 0
    with pytest.raises(AnalyzeError, match=rf"^check {items[0]['name']} has badness 0 outside 0\.\.0$"):
        parse_security_json(json.dumps(items))


def test_exposure_of_one_applicable_check_is_its_badness_share():
    """The exposure only counts applicable checks: one check of badness 1 in range 1 is exposure 10.0."""
    items = debug_items()
    for item in items[1:]:
        item["badness"] = NOT_APPLICABLE
    items[0].update(badness=1, range=1)
    parsed = parse_security_json(json.dumps(items))
    assert (parsed["exposure"], parsed["level"]) == (10.0, "DANGEROUS")
    items[0].update(badness=0)
    parsed = parse_security_json(json.dumps(items))
    assert (parsed["exposure"], parsed["level"]) == (0.0, "PERFECT")
    assert compute_exposure_tenths(parsed["checks"]) == 0


# --- levels, names, settings, versions, show ------------------------------------------------------


def test_negative_exposure_error_names_the_value():
    """A negative exposure has no level, and the error says which value."""
    with pytest.raises(AnalyzeError, match=r"^negative exposure -1$"):
        level_for(-1)


def test_service_name_length_limit_is_255_characters():
    """A unit name may be 255 characters long, not 256 (systemd's limit)."""
    assert is_service_name("a" * (255 - len(".service")) + ".service")
    assert not is_service_name("a" * (256 - len(".service")) + ".service")


def test_setting_of_a_name_without_a_directive_is_the_name():
    """A check name that names no Directive= is its own setting."""
    assert setting_of("PrivateNetwork") == "PrivateNetwork"


def test_version_error_quotes_the_first_200_characters():
    """--version output without a version line is refused, quoting what was printed (first 200 characters)."""
    text = read("debian12", "help.txt")
    assert len(text) > 201
    with pytest.raises(AnalyzeError) as caught:
        parse_version(text)
    assert str(caught.value) == f"no 'systemd N' line in the --version output: {text[:200]!r}"


def test_show_value_holding_an_equals_sign_is_kept_whole():
    """systemctl show splits a line at its first '=': values (Environment=A=B) keep theirs."""
    props = parse_show(read("debian12", "show.us-bare.txt") + "Environment=GOMAXPROCS=2 GODEBUG=madvdontneed=1\n")
    assert props["Environment"] == "GOMAXPROCS=2 GODEBUG=madvdontneed=1"
    assert props["LoadState"] == "loaded"


# --- verify: whose lines are whose -----------------------------------------------------------------


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_drop_in_line_is_ours_even_when_systemctl_listed_no_drop_in(release):
    """A line about a file in UNIT.d/ is this unit's problem even if the drop-in was not listed."""
    problems, ignored = classify_verify(
        verify_stderr(release, "us-dropin"), "us-dropin.service", [f"{UNIT_DIR}/us-dropin.service"], None
    )
    assert ignored == []
    assert [(p["kind"], p["file"], p["line"]) for p in problems] == [
        ("unknown-key", f"{UNIT_DIR}/us-dropin.service.d/50-hardening.conf", 3)
    ]


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_line_about_a_file_named_like_the_unit_is_ours(release):
    """A line about a file named UNIT (the fragment under another path) is this unit's problem."""
    problems, ignored = classify_verify(verify_stderr(release, "us-unknownkey"), "us-unknownkey.service", [], None)
    assert ignored == []
    assert [(p["kind"], p["line"]) for p in problems] == [("unknown-key", 6)]


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_line_about_another_units_file_is_ignored_and_named(release):
    """A line about another unit's file is ignored, and the reason names that file."""
    other = verify_stderr(release, "us-unknownkey")
    problems, ignored = classify_verify(other, "us-bare.service", [f"{UNIT_DIR}/us-bare.service"], None)
    assert problems == []
    assert ignored == [
        {
            "text": other.strip(),
            "reason": f"about {UNIT_DIR}/us-unknownkey.service, not us-bare.service",
        }
    ]


@pytest.mark.parametrize("release", ["debian11", "debian12", "debian13"])
def test_ignored_lines_before_our_own_do_not_hide_it(release):
    """Lines about other units (verify of pulled-in units) come first; this unit's line after them still counts."""
    noise = [line for line in read(release, "scan.verify-shipped-units.txt").splitlines() if not line.startswith("#")]
    output = "\n".join([*noise, verify_stderr(release, "us-badexec")])
    problems, ignored = classify_verify(output, "us-badexec.service", [f"{UNIT_DIR}/us-badexec.service"], None)
    assert [i["text"] for i in ignored] == noise
    assert [p["kind"] for p in problems] == ["missing-executable"]
    masked = next(i for i in ignored if i["text"].startswith("Unit ") and i["text"].endswith(" is masked."))
    other = masked["text"].split()[1]
    assert masked["reason"] == f"about {other}, not us-badexec.service"


def test_command_on_exec_path_needs_an_executable_regular_file(tmp_path):
    """Only an executable regular file counts as a command: not a directory, not a plain file."""
    (tmp_path / "adir").mkdir()
    plain = tmp_path / "plain"
    plain.write_text("#!/bin/sh\n")
    plain.chmod(0o644)
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    search = (str(tmp_path),)
    assert command_on_exec_path("tool", search)
    assert not command_on_exec_path("adir", search)
    assert not command_on_exec_path("plain", search)


def test_a_line_after_an_ignored_bare_command_still_counts():
    """After a bare command line ignored as found on the path, the unit's next line is still read (247)."""
    found = verify_stderr("debian11", "us-relexec").strip()
    assert found == "us-relexec.service: Command sleep is not executable: No such file or directory"
    missing = found.replace("sleep", "gosvc-does-not-exist")
    problems, ignored = classify_verify(
        f"{found}\n{missing}\n", "us-relexec.service", [f"{UNIT_DIR}/us-relexec.service"], lambda name: name == "sleep"
    )
    assert [i["text"] for i in ignored] == [found]
    assert [(p["kind"], p["text"]) for p in problems] == [("missing-executable", missing)]


# --- the real systemd-analyze, where it is installed ------------------------------------------

ANALYZE = shutil.which("systemd-analyze")

#: A hardened unit whose ProtectProc=noaccess scores 1 of range 3 at weight 1000, a share systemd
#: rounds up; with these other settings the rounding shows in the overall figure (systemd 252 prints
#: 1.7 where exact shares would give 1.6).
PARTIAL_SHARE_UNIT = """[Service]
ExecStart=/bin/true
ProtectProc=noaccess
RestrictAddressFamilies=AF_INET AF_INET6
ProtectHostname=yes
ProtectControlGroups=yes
KeyringMode=private
ProtectKernelLogs=yes
ProtectSystem=full
RestrictNamespaces=yes
MemoryDenyWriteExecute=yes
PrivateNetwork=yes
ProtectClock=yes
ProcSubset=pid
DynamicUser=yes
NoNewPrivileges=yes
ProtectKernelModules=yes
IPAddressDeny=any
NotifyAccess=none
RestrictSUIDSGID=yes
PrivateTmp=yes
PrivateMounts=yes
Delegate=no
RestrictNamespaces=~user
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
SystemCallFilter=~@privileged @resources
SystemCallFilter=~@mount
RestrictRealtime=yes
ProtectHome=yes
UMask=0077
CapabilityBoundingSet=
SystemCallArchitectures=native
SystemCallFilter=@system-service
"""


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed on this machine")
def test_json_exposure_rounds_each_share_up_as_systemd_does(tmp_path):
    """Each check's share is rounded up before summing, as systemd does: the JSON gives the table's figure."""
    path = tmp_path / "pp.service"
    path.write_text(PARTIAL_SHARE_UNIT)
    argv = [ANALYZE, "security", "--offline=true", "--no-pager"]
    env = dict(os.environ, **COMMAND_ENV)
    table = subprocess.run([*argv, str(path)], env=env, capture_output=True, text=True, check=False)
    if table.returncode != 0 and "--offline" in table.stderr:
        pytest.skip(f"this systemd-analyze cannot analyze a unit file offline: {table.stderr.strip()}")
    data = subprocess.run(
        [*argv, "--json=short", str(path)], env=dict(env, **JSON_DEBUG_ENV), capture_output=True, text=True, check=False
    )
    printed = parse_security_table(table.stdout, "pp.service")
    computed = parse_security_json(data.stdout)
    assert (computed["exposure"], computed["level"]) == (printed["exposure"], printed["level"])


def test_security_result_names_every_failed_reason_in_one_message(monkeypatch):
    """The shape unit_security and service_probe return: failed, and msg joining every reason."""

    def assess(run, bins, unit, **options):
        return {"exposure": 9.6, "failed_reasons": ["exposure 9.6 is above 2.0", "the unit file has problems"]}

    monkeypatch.setattr(sa, "assess_unit", assess)
    result = sa.security_result(None, {}, "demo.service", max_exposure=2.0)
    assert result["failed"] is True
    assert result["msg"] == (
        "Checking the security of demo.service: exposure 9.6 is above 2.0 | the unit file has problems"
    )
    monkeypatch.setattr(sa, "assess_unit", lambda run, bins, unit, **options: {"failed_reasons": []})
    assert sa.security_result(None, {}, "demo.service") == {"failed_reasons": [], "failed": False}


def test_security_result_of_a_step_that_could_not_be_done_keeps_its_facts(monkeypatch):
    def assess(run, bins, unit, **options):
        raise sa.StepError("Analyzing demo.service: the unit is not known to systemd", load_state="not-found")

    monkeypatch.setattr(sa, "assess_unit", assess)
    assert sa.security_result(None, {}, "demo.service") == {
        "load_state": "not-found",
        "failed": True,
        "msg": "Analyzing demo.service: the unit is not known to systemd",
    }
