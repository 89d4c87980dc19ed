# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for module_utils/_systemd_analyze.py on real captured output.

Every input below is output that systemd-analyze or systemctl printed inside
Debian 11 (systemd 247), 12 (252) and 13 (257) containers; see
tests/unit/data/systemd/README.md for how it was captured. Expected numbers
(9.6 UNSAFE, 0.9 SAFE, ...) are the values systemd itself printed there.
The few "bad input" tests alter one real line or use plainly broken text.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    LEVELS,
    NOT_APPLICABLE,
    AnalyzeError,
    classify_verify,
    command_on_exec_path,
    compute_exposure_tenths,
    exposure_message,
    is_service_name,
    json_rejected,
    level_for,
    parse_security_json,
    parse_security_table,
    parse_show,
    parse_version,
    public_checks,
    setting_of,
    strip_ansi,
    verify_message,
    worst_checks,
)

DATA = Path(__file__).resolve().parents[3] / "unit" / "data" / "systemd"
RELEASES = {"debian11": 247, "debian12": 252, "debian13": 257}
JSON_RELEASES = ["debian12", "debian13"]
# What `systemd-analyze security` printed for these units on all three releases.
PRINTED = {
    "us-bare": (9.6, "UNSAFE"),
    "us-typical": (8.8, "EXPOSED"),
    "us-hardened": (0.9, "SAFE"),
    "us-dropin": (9.2, "UNSAFE"),
}
CHECK_COUNT = {"debian11": 80, "debian12": 81, "debian13": 81}
# Units captured both as a table and as JSON with weights (the same set on 252 and 257).
BOTH_FORMS = sorted(
    p.name[len("security.") : -len(".debug.json")] for p in (DATA / "debian12").glob("security.*.debug.json")
)


def read(release: str, name: str) -> str:
    return (DATA / release / name).read_text(encoding="utf-8")


def capture(release: str, name: str) -> dict:
    manifest = json.loads((DATA / release / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["captures"]:
        if entry["name"] == name:
            return entry
    raise KeyError(f"{name} not captured for {release}")


def show(release: str, unit: str) -> dict:
    return parse_show(read(release, f"show.{unit}.txt"))


def view(checks):
    """What must agree between table and JSON: per check name, its mark, exposure and description."""
    return [(c["name"], c["ok"], c["applicable"], c["exposure"], c["description"]) for c in checks]


# --- version, show --------------------------------------------------------------------------


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_parse_version_of_each_release(release):
    assert parse_version(read(release, "version.txt")) == RELEASES[release]


def test_parse_version_rejects_other_text():
    with pytest.raises(AnalyzeError, match="no 'systemd N' line"):
        parse_version(read("debian12", "help.txt"))


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_parse_show_of_unit_with_dropin(release):
    props = show(release, "us-dropin")
    assert props["LoadState"] == "loaded"
    assert props["ActiveState"] == "active"
    assert props["FragmentPath"] == "/etc/systemd/system/us-dropin.service"
    assert props["DropInPaths"].split() == ["/etc/systemd/system/us-dropin.service.d/50-hardening.conf"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_parse_show_of_unknown_unit(release):
    props = show(release, "missing")
    assert props["LoadState"] == "not-found"
    assert props["FragmentPath"] == ""


# --- the security table ---------------------------------------------------------------------


@pytest.mark.parametrize("unit", sorted(PRINTED))
@pytest.mark.parametrize("release", sorted(RELEASES))
def test_table_overall_and_checks(release, unit):
    parsed = parse_security_table(read(release, f"security.{unit}.txt"), f"{unit}.service")
    assert (parsed["exposure"], parsed["level"]) == PRINTED[unit]
    assert parsed["unit"] == f"{unit}.service"
    checks = parsed["checks"]
    assert len(checks) == CHECK_COUNT[release]
    for check in checks:
        assert check["name"].count("=") >= 1
        assert check["description"]
        if not check["applicable"]:
            assert check["ok"] and check["exposure"] is None
        elif check["ok"]:
            assert check["exposure"] == 0.0
        else:
            assert 0.1 <= check["exposure"] <= 1.0
    # systemd's level table gives the level it printed.
    assert level_for(round(parsed["exposure"] * 10)) == parsed["level"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_table_values_of_known_checks(release):
    checks = {c["name"]: c for c in parse_security_table(read(release, "security.us-typical.txt"))["checks"]}
    network = checks["PrivateNetwork="]
    assert (network["ok"], network["exposure"], network["setting"]) == (False, 0.5, "PrivateNetwork")
    assert network["description"] == "Service has access to the host's network"
    user = checks["User=/DynamicUser="]
    assert (user["ok"], user["exposure"], user["setting"]) == (False, 0.4, "User/DynamicUser")
    assert user["description"] == "Service runs under as 'nobody' user, which should not be used for services"
    assert checks["NoNewPrivileges="]["ok"] is True
    assert checks["NoNewPrivileges="]["exposure"] == 0.0


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_table_not_applicable_checks_for_root_service(release):
    checks = parse_security_table(read(release, "security.us-bare.txt"))["checks"]
    not_applicable = sorted(c["name"] for c in checks if not c["applicable"])
    assert not_applicable == ["RemoveIPC=", "SupplementaryGroups="]


@pytest.mark.parametrize("variant", ["color", "narrow", "debug"])
@pytest.mark.parametrize("release", sorted(RELEASES))
def test_table_variants_parse_like_the_plain_table(release, variant):
    plain = parse_security_table(read(release, "security.us-typical.txt"))
    other = parse_security_table(read(release, f"security.us-typical.{variant}.txt"), "us-typical.service")
    assert (other["exposure"], other["level"]) == (plain["exposure"], plain["level"])
    assert view(other["checks"]) == view(plain["checks"])


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_table_in_ascii_locale(release):
    """LC_ALL=C: marks are +/-, the arrow is ->, and '…' is written '...'."""
    text = read(release, "security.us-typical.ascii.txt")
    assert "✓" not in text and "→" not in text
    plain = parse_security_table(read(release, "security.us-typical.txt"))
    ascii_ = parse_security_table(text, "us-typical.service")
    assert (ascii_["exposure"], ascii_["level"]) == (plain["exposure"], plain["level"])

    def normalized(checks):
        return [tuple(v.replace("…", "...") if isinstance(v, str) else v for v in row) for row in view(checks)]

    assert normalized(ascii_["checks"]) == normalized(plain["checks"])


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_color_escapes_are_removed(release):
    text = read(release, "security.us-typical.color.txt")
    assert "\x1b[" in text and "\x1b]8;;" in text
    stripped = strip_ansi(text)
    assert "\x1b" not in stripped
    plain = read(release, "security.us-typical.txt")
    assert [line.rstrip() for line in stripped.splitlines()] == [line.rstrip() for line in plain.splitlines()]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_debug_table_weights_reproduce_the_overall_exposure(release):
    """The WEIGHT/BADNESS/RANGE columns put through systemd's formula give the printed overall value."""
    parsed = parse_security_table(read(release, "security.us-typical.debug.txt"))
    assert parsed["exposure"] == 8.8
    assert compute_exposure_tenths(parsed["checks"]) == 88
    # The plain table has no such columns, so nothing to compute from.
    assert compute_exposure_tenths(parse_security_table(read(release, "security.us-typical.txt"))["checks"]) is None


@pytest.mark.parametrize("release", JSON_RELEASES)
def test_not_applicable_badness_in_json(release):
    checks = parse_security_json(read(release, "security.us-bare.debug.json"))["checks"]
    assert sorted(c["name"] for c in checks if c["_badness"] == NOT_APPLICABLE) == [
        "RemoveIPC=",
        "SupplementaryGroups=",
    ]
    assert all(not c["applicable"] for c in checks if c["_badness"] == NOT_APPLICABLE)


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_multi_unit_output_reads_the_first_unit(release):
    text = read(release, "security.multi.txt")
    parsed = parse_security_table(text, "us-bare.service")
    assert (parsed["exposure"], parsed["level"]) == (9.6, "UNSAFE")
    with pytest.raises(AnalyzeError, match=r"is for us-bare\.service, not us-hardened\.service"):
        parse_security_table(text, "us-hardened.service")


def test_table_without_header_is_rejected():
    with pytest.raises(AnalyzeError, match=r"no NAME \.\.\. DESCRIPTION \.\.\. EXPOSURE header"):
        parse_security_table(read("debian12", "version.txt"))


def test_table_without_overall_line_is_rejected():
    text = read("debian12", "security.us-typical.txt")
    truncated = text[: text.index("→ Overall")]
    with pytest.raises(AnalyzeError, match="no 'Overall exposure level"):
        parse_security_table(truncated)


def test_table_without_rows_is_rejected():
    lines = read("debian12", "security.us-typical.txt").splitlines()
    with pytest.raises(AnalyzeError, match="has no rows"):
        parse_security_table("\n".join([lines[0], lines[-1]]))


def test_table_with_unknown_mark_is_rejected():
    lines = read("debian12", "security.us-typical.txt").splitlines()
    lines[1] = "?" + lines[1][1:]
    with pytest.raises(AnalyzeError, match="unknown mark '\\?'"):
        parse_security_table("\n".join(lines))


def test_table_with_non_numeric_exposure_is_rejected():
    lines = read("debian12", "security.us-typical.txt").splitlines()
    assert lines[1].endswith("0.1")
    lines[1] = lines[1][:-3] + "abc"
    with pytest.raises(AnalyzeError, match="exposure 'abc' is not a number"):
        parse_security_table("\n".join(lines))


# --- JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", sorted(PRINTED))
@pytest.mark.parametrize("release", JSON_RELEASES)
def test_json_with_weights_gives_the_table_overall(release, unit):
    parsed = parse_security_json(read(release, f"security.{unit}.debug.json"))
    assert (parsed["exposure"], parsed["level"]) == PRINTED[unit]


@pytest.mark.parametrize("unit", BOTH_FORMS)
@pytest.mark.parametrize("release", JSON_RELEASES)
def test_json_and_table_agree_check_by_check(release, unit):
    assert len(BOTH_FORMS) == 8
    table = parse_security_table(read(release, f"security.{unit}.txt"))
    data = parse_security_json(read(release, f"security.{unit}.debug.json"))
    assert view(data["checks"]) == view(table["checks"])
    assert (data["exposure"], data["level"]) == (table["exposure"], table["level"])
    assert all(c["json_field"] for c in data["checks"])
    assert all(c["json_field"] is None for c in table["checks"])


@pytest.mark.parametrize("unit", sorted(PRINTED))
@pytest.mark.parametrize("release", JSON_RELEASES)
def test_json_without_weights_has_checks_but_no_overall(release, unit):
    short = parse_security_json(read(release, f"security.{unit}.short.json"))
    debug = parse_security_json(read(release, f"security.{unit}.debug.json"))
    assert short["exposure"] is None and short["level"] is None
    assert public_checks(short["checks"]) == public_checks(debug["checks"])


@pytest.mark.parametrize("release", JSON_RELEASES)
def test_json_pretty_equals_short(release):
    pretty = parse_security_json(read(release, "security.us-typical.pretty.json"))
    short = parse_security_json(read(release, "security.us-typical.short.json"))
    assert pretty == short


@pytest.mark.parametrize("release", JSON_RELEASES)
def test_json_per_check_exposures_add_up_to_more_than_overall(release):
    """systemd rounds each check's share up, so summing them overstates the exposure (documented)."""
    parsed = parse_security_json(read(release, "security.us-bare.debug.json"))
    total = round(sum(c["exposure"] for c in parsed["checks"] if c["exposure"]), 1)
    assert total == 12.7
    assert parsed["exposure"] == 9.6


def test_json_that_does_not_parse_is_rejected():
    with pytest.raises(AnalyzeError, match="does not parse"):
        parse_security_json(read("debian12", "security.us-typical.txt"))


def test_json_that_is_not_a_list_is_rejected():
    with pytest.raises(AnalyzeError, match="not a non-empty list"):
        parse_security_json('{"name": "PrivateNetwork="}')


def test_json_item_without_name_is_rejected():
    items = json.loads(read("debian12", "security.us-typical.short.json"))
    del items[3]["name"]
    with pytest.raises(AnalyzeError, match="item without a name"):
        parse_security_json(json.dumps(items))


def test_json_item_with_bad_set_is_rejected():
    items = json.loads(read("debian12", "security.us-typical.short.json"))
    items[0]["set"] = "yes"
    with pytest.raises(AnalyzeError, match="has set='yes'"):
        parse_security_json(json.dumps(items))


def test_json_item_with_bad_exposure_is_rejected():
    items = json.loads(read("debian12", "security.us-typical.short.json"))
    items[0]["exposure"] = 0.1
    with pytest.raises(AnalyzeError, match=r"has exposure 0\.1"):
        parse_security_json(json.dumps(items))


def test_json_item_with_badness_beyond_range_is_rejected():
    items = json.loads(read("debian12", "security.us-typical.debug.json"))
    items[0]["badness"] = items[0]["range"] + 1
    with pytest.raises(AnalyzeError, match=r"outside 0\.\."):
        parse_security_json(json.dumps(items))


def test_json_rejected_on_247():
    assert json_rejected(capture("debian11", "security.us-bare.debug.json")["stderr"])
    assert not json_rejected(capture("debian12", "security.missing.short.json")["stderr"])


# --- levels, worst, messages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenths", "level"),
    [
        (0, "PERFECT"),
        (1, "SAFE"),
        (9, "SAFE"),
        (10, "OK"),
        (49, "OK"),
        (50, "MEDIUM"),
        (74, "MEDIUM"),
        (75, "EXPOSED"),
        (89, "EXPOSED"),
        (90, "UNSAFE"),
        (99, "UNSAFE"),
        (100, "DANGEROUS"),
    ],
)
def test_level_thresholds_are_systemds(tenths, level):
    assert level_for(tenths) == level
    assert dict((name, minimum) for minimum, name in LEVELS)[level] <= tenths


def test_negative_exposure_has_no_level():
    with pytest.raises(AnalyzeError):
        level_for(-1)


@pytest.mark.parametrize("release", JSON_RELEASES)
def test_worst_checks_are_the_same_from_table_and_json(release):
    table = parse_security_table(read(release, "security.us-typical.txt"))["checks"]
    data = parse_security_json(read(release, "security.us-typical.debug.json"))["checks"]
    worst_table = [(c["name"], c["exposure"]) for c in worst_checks(table, 5)]
    assert worst_table == [(c["name"], c["exposure"]) for c in worst_checks(data, 5)]
    assert worst_table[0] == ("PrivateNetwork=", 0.5)
    assert worst_table[1] == ("User=/DynamicUser=", 0.4)
    exposures = [pair[1] for pair in worst_table]
    assert exposures == sorted(exposures, reverse=True)


def test_worst_checks_247_table():
    checks = parse_security_table(read("debian11", "security.us-hardened.txt"))["checks"]
    assert [(c["name"], c["exposure"]) for c in worst_checks(checks, 10)] == [
        ("PrivateNetwork=", 0.5),
        ("RestrictAddressFamilies=~AF_(INET|INET6)", 0.3),
        ("DeviceAllow=", 0.1),
        ("IPAddressDeny=", 0.1),
        ("RestrictAddressFamilies=~AF_UNIX", 0.1),
        ("RootDirectory=/RootImage=", 0.1),
    ]
    assert worst_checks(checks, 0) == []


def test_exposure_message_names_the_worst_checks():
    checks = parse_security_table(read("debian11", "security.us-typical.txt"))["checks"]
    message = exposure_message("us-typical.service", 8.8, "EXPOSED", 2.0, worst_checks(checks, 2))
    assert message == (
        "exposure 8.8 (EXPOSED) for us-typical.service exceeds max_exposure 2.0; "
        "worst: PrivateNetwork= (0.5), User=/DynamicUser= (0.4)"
    )


@pytest.mark.parametrize(
    ("name", "setting"),
    [
        ("PrivateNetwork=", "PrivateNetwork"),
        ("RootDirectory=/RootImage=", "RootDirectory/RootImage"),
        ("CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "CapabilityBoundingSet"),
        ("RestrictAddressFamilies=~…", "RestrictAddressFamilies"),
    ],
)
def test_setting_of_real_check_names(name, setting):
    assert setting_of(name) == setting


@pytest.mark.parametrize("name", ["demo.service", "worker@1.service", "a-b_c.d:e.service", "x\\x2d.service"])
def test_service_names_accepted(name):
    assert is_service_name(name)


@pytest.mark.parametrize(
    "name",
    ["demo", "demo.socket", "worker@.service", "../demo.service", "demo service", "", "a" * 250 + ".service",
     "demo.service\n"],
)  # fmt: skip
def test_service_names_rejected(name):
    assert not is_service_name(name)


# --- verify -------------------------------------------------------------------------------

UNIT_DIR = "/etc/systemd/system"


def classify(release, stem, resolves=command_on_exec_path, capture_name=None):
    """Classify the captured verify output of a fixture unit the way the module does.

    Returns a namespace with rc (verify's exit code), problems and ignored.
    """
    entry = capture(release, capture_name or f"verify.{stem}.txt")
    props = show(release, stem)
    files = [props["FragmentPath"], *props["DropInPaths"].split()]
    output = entry.get("stdout", "") + "\n" + entry["stderr"]
    problems, ignored = classify_verify(output, f"{stem}.service", files, resolves)
    return SimpleNamespace(rc=entry["rc"], problems=problems, ignored=ignored)


def where(problems, *keys):
    return [tuple(p[k] for k in keys) for p in problems]


@pytest.mark.parametrize("release", sorted(RELEASES))
@pytest.mark.parametrize("stem", ["us-bare", "us-hardened", "us-deps"])
def test_verify_clean_units(release, stem):
    got = classify(release, stem)
    assert (got.rc, got.problems, got.ignored) == (0, [], [])


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_unknown_key_exits_0_but_is_a_problem(release):
    got = classify(release, "us-unknownkey")
    assert got.rc == 0
    assert where(got.problems, "kind", "file", "line") == [("unknown-key", f"{UNIT_DIR}/us-unknownkey.service", 6)]
    assert "ProtectSystemm" in got.problems[0]["text"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_keys_in_the_wrong_section(release):
    got = classify(release, "us-wrongsection")
    assert got.rc == 0
    assert where(got.problems, "kind", "line") == [("unknown-key", 3), ("unknown-key", 7)]
    assert "'Restart'" in got.problems[0]["text"] and "Unit" in got.problems[0]["text"]
    assert "'After'" in got.problems[1]["text"] and "Service" in got.problems[1]["text"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_unknown_section(release):
    got = classify(release, "us-unknownsection")
    assert got.rc == 0
    assert where(got.problems, "kind", "line", "text") == [
        ("unknown-section", 7, f"{UNIT_DIR}/us-unknownsection.service:7: Unknown section 'Instal'. Ignoring.")
    ]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_problem_in_a_dropin(release):
    got = classify(release, "us-dropin")
    assert where(got.problems, "kind", "file", "line") == [
        ("unknown-key", f"{UNIT_DIR}/us-dropin.service.d/50-hardening.conf", 3)
    ]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_missing_executable(release):
    got = classify(release, "us-badexec")
    assert got.rc == 1
    assert where(got.problems, "kind", "file") == [("missing-executable", None)]
    assert "/usr/local/bin/gosvc-does-not-exist" in got.problems[0]["text"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_missing_required_unit(release):
    got = classify(release, "us-missingdep")
    assert got.rc == 1
    assert where(got.problems, "kind") == [("missing-dependency",)]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_deprecated_settings(release):
    got = classify(release, "us-deprecated")
    assert got.rc == 0
    assert all(p["kind"] == "deprecated" for p in got.problems)
    # 247 does not yet warn about MemoryLimit=.
    assert [p["line"] for p in got.problems] == ([6] if release == "debian11" else [6, 7])


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_nobody_user_is_a_problem(release):
    got = classify(release, "us-typical")
    assert where(got.problems, "kind", "line") == [("other", 6)]
    assert "Special user nobody configured" in got.problems[0]["text"]


def test_verify_bare_command_name_on_247_is_ignored_when_found():
    got = classify("debian11", "us-relexec")
    assert got.rc == 1  # 247 fails a unit that runs fine
    assert got.problems == []
    assert [i["text"] for i in got.ignored] == [
        "us-relexec.service: Command sleep is not executable: No such file or directory"
    ]
    assert "systemd 247" in got.ignored[0]["reason"]


def test_verify_bare_command_name_not_on_the_path_is_a_problem(tmp_path):
    got = classify("debian11", "us-relexec", resolves=lambda name: command_on_exec_path(name, (str(tmp_path),)))
    assert got.ignored == []
    assert where(got.problems, "kind") == [("missing-executable",)]


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_verify_bare_command_name_is_fine_after_247(release):
    got = classify(release, "us-relexec")
    assert (got.rc, got.problems, got.ignored) == (0, [], [])


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_man_page_check_is_why_man_no_is_used(release):
    """Without --man=no a unit with Documentation=man: fails on a host without man pages."""
    got = classify(release, "us-deps", capture_name="verify.us-deps.man.txt")
    assert got.rc == 1
    assert [p["text"] for p in got.problems] == ["us-deps.service: Command 'man sleep(1)' failed with code 1"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_log_colour_is_stripped(release):
    coloured = classify(release, "us-unknownkey", capture_name="verify.us-unknownkey.logcolor.txt")
    plain = classify(release, "us-unknownkey")
    assert coloured.problems == plain.problems


def test_verify_log_colour_is_on_by_default_on_247():
    assert "\x1b[" in capture("debian11", "verify.us-unknownkey.logcolor.txt")["stderr"]
    assert "\x1b[" not in capture("debian11", "verify.us-unknownkey.txt")["stderr"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_noise_from_shipped_units_is_ignored(release):
    """Everything verify says about the units the image ships is about other units."""
    lines = read(release, "scan.verify-shipped-units.txt").splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#"))
    problems, ignored = classify_verify(text, "us-bare.service", [f"{UNIT_DIR}/us-bare.service"], command_on_exec_path)
    assert problems == []
    assert len(ignored) == len(text.splitlines()) >= 8
    assert all(i["reason"].endswith("not us-bare.service") for i in ignored)


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_verify_of_a_missing_file(release):
    entry = capture(release, "verify.missing-file.txt")
    problems, ignored = classify_verify(entry["stderr"], "gosvc-no-such-unit.service", [], None)
    assert entry["rc"] == 1 and ignored == []
    assert where(problems, "kind", "text") == [("not-found", "Unit gosvc-no-such-unit.service not found.")]


def test_verify_line_naming_nothing_counts():
    problems, ignored = classify_verify("Failed to load something: Permission denied\n", "us-bare.service", [], None)
    assert ignored == []
    assert where(problems, "kind", "file") == [("other", None)]


def test_verify_message_lists_lines_verbatim_with_the_path():
    got = classify("debian12", "us-wrongsection")
    assert verify_message(f"{UNIT_DIR}/us-wrongsection.service", got.problems) == (
        "systemd-analyze verify /etc/systemd/system/us-wrongsection.service reported 2 problems: "
        "/etc/systemd/system/us-wrongsection.service:3: Unknown key 'Restart' in section [Unit], ignoring.; "
        "/etc/systemd/system/us-wrongsection.service:7: Unknown key 'After' in section [Service], ignoring."
    )


def test_security_json_nested_too_deeply_is_an_analyze_error():
    with pytest.raises(AnalyzeError, match="security JSON does not parse"):
        parse_security_json("[" * 100000)
