# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify role's filters on inputs captured from real hosts (see data_verify/README.md).

The expected outcomes come from the captures themselves: the modules' own verdicts, the settings
the role ran with, and real tools (capsh, ip) where a table is involved.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.filter import verify_junit as junit_mod
from ansible_collections.gosvc.hardening.plugins.filter import verify_report as report_mod
from ansible_collections.gosvc.hardening.plugins.filter import verify_summary as summary_mod
from ansible_collections.gosvc.hardening.plugins.module_utils._service_probe import runtime_result

try:  # in the test virtualenv; not in the bare ansible-core ones of scripts/compat.sh
    import jsonschema
except ImportError:
    jsonschema = None

needs_jsonschema = pytest.mark.skipif(jsonschema is None, reason="jsonschema is not installed")
ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).with_name("data_verify")
CAPTURES = sorted(p.stem for p in DATA.glob("*.json"))
SCHEMA = json.loads((ROOT / "roles" / "verify" / "files" / "report.schema.json").read_text())
DEFAULTS = report_mod.DEFAULT_SEVERITY


def load(name):
    return json.loads((DATA / f"{name}.json").read_text())


def build(name, overrides=None):
    capture = load(name)
    severities = {**DEFAULTS, **capture["severity_overrides"], **(overrides or {})}
    return capture, report_mod.verify_report(capture["raw"], severities)


def checks(report):
    return {c["name"]: c for c in report["checks"]}


# --- the tables stay in sync ---------------------------------------------------------------


#: The checks of the first report format with their default severities: warnings are what a
#: rollback would not fix (build hygiene, certificate lifetime, log shape).
FIRST_CHECKS = {
    "unit_active": "blocking",
    "restarts": "blocking",
    "user": "blocking",
    "capabilities": "blocking",
    "checksum": "blocking",
    "signature": "blocking",
    "go_build": "warning",
    "exposure": "blocking",
    "liveness": "blocking",
    "readiness": "blocking",
    "tls_expiry": "warning",
    "forbidden_urls": "blocking",
    "structured_logs": "warning",
}


def test_the_first_checks_keep_their_order_and_default_severities():
    names = [name for name in report_mod.CHECKS if name in FIRST_CHECKS]
    assert names == list(FIRST_CHECKS)
    assert {name: report_mod.DEFAULT_SEVERITY[name] for name in FIRST_CHECKS} == FIRST_CHECKS


def test_every_declared_check_has_a_unique_name_a_severity_and_docs_sentences():
    assert len(set(report_mod.CHECKS)) == len(report_mod.DECLARED)
    for check in report_mod.DECLARED:
        assert re.fullmatch(SCHEMA["$defs"]["name"]["pattern"], check.name), check.name
        assert check.severity in report_mod.SEVERITIES, check.name
        assert check.proves.strip() and check.reads.strip(), check.name
        assert "|" not in check.proves + check.reads, f"{check.name}: a | would break the docs table"


def test_a_report_holds_every_declared_check_once_in_declared_order():
    _capture, report = build("pass-debian12")
    assert [c["name"] for c in report["checks"]] == list(report_mod.CHECKS)


def test_the_checks_table_is_one_markdown_row_per_declared_check():
    table = report_mod.checks_table()
    lines = table.split("\n")
    assert lines[:2] == ["| Check | Default severity | What it proves | How it reads the host |", "|---|---|---|---|"]
    assert lines[2:-1] == [f"| `{c.name}` | {c.severity} | {c.proves} | {c.reads} |" for c in report_mod.DECLARED]
    assert lines[-1] == ""
    docs = (ROOT / "docs" / "verify.md").read_text()
    assert "-->\n" + table + "<!-- checks:end -->" in docs


def test_declare_keeps_everything_a_check_declares(monkeypatch):
    monkeypatch.setattr(report_mod, "DECLARED", [])

    def run(raw, done):
        return report_mod._check("x", "passed", "fine")

    declared = report_mod.declare("x", "audit", proves="p", reads="r", unit_properties=["A"], environment=["B"])
    assert declared(run) is run
    (check,) = report_mod.DECLARED
    fields = (
        check.name,
        check.severity,
        check.proves,
        check.reads,
        check.run,
        check.unit_properties,
        check.environment,
    )
    assert fields == ("x", "audit", "p", "r", run, ("A",), ("B",))
    bare = report_mod.Check("y", "warning", "p", "r", run)
    assert (bare.unit_properties, bare.environment) == ((), ())


def test_the_docs_table_of_checks_is_rendered_from_the_declarations():
    """docs/verify.md's table is the one scripts/docs.py renders (make docs rewrites it)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "docs.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    table = (ROOT / "docs" / "verify.md").read_text()
    for check in report_mod.DECLARED:
        assert f"| `{check.name}` | {check.severity} | {check.proves} | {check.reads} |" in table


def test_verify_checks_derives_names_severities_and_reads_from_the_declarations():
    derived = report_mod.verify_checks({"exposure": "warning", "no_such_check": "audit"})
    assert derived["names"] == list(report_mod.CHECKS)
    assert derived["severity"] == {**report_mod.DEFAULT_SEVERITY, "exposure": "warning"}
    assert derived["unit_properties"] == [p for c in report_mod.DECLARED for p in c.unit_properties]
    assert derived["environment"] == [v for c in report_mod.DECLARED for v in c.environment]
    assert report_mod.verify_checks(None)["severity"] == report_mod.DEFAULT_SEVERITY


@needs_jsonschema
def test_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.skipif(not shutil.which("capsh"), reason="capsh (libcap2-bin) is not installed")
def test_capability_names_match_capsh_for_every_bit():
    for bit in range(len(report_mod.CAPABILITIES)):
        out = subprocess.run(["capsh", f"--decode={1 << bit:#x}"], capture_output=True, text=True, check=True).stdout
        assert report_mod.decode_capabilities(f"{1 << bit:016x}") == [out.strip().split("=", 1)[1]], bit


def test_capability_mask_that_is_not_hex_is_refused():
    with pytest.raises(AnsibleFilterError, match="not hexadecimal"):
        report_mod.decode_capabilities("00000000zz")


# --- reports from the captures -------------------------------------------------------------


@needs_jsonschema
@pytest.mark.parametrize("name", CAPTURES)
def test_every_report_matches_the_schema(name):
    _capture, report = build(name)
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(report)]
    assert not errors


@needs_jsonschema
@pytest.mark.parametrize("binary", ["/usr/bin/true", str(ROOT / "tests/unit/data/go/runnable/hello-musl-x86_64")])
def test_a_report_with_runtime_facts_matches_the_schema(binary):
    runtime = runtime_result(binary)
    capture = load(CAPTURES[0])
    report = report_mod.verify_report(
        dict(capture["raw"], runtime=runtime), {**DEFAULTS, **capture["severity_overrides"]}
    )
    assert report["runtime"] == runtime
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(report)]
    assert not errors
    bad = dict(report, runtime=dict(runtime, libc="bionic"))  # a C library the schema does not know
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(bad))


@pytest.mark.parametrize("name", [n for n in CAPTURES if n.startswith("pass-")])
def test_a_healthy_host_passes_every_configured_check(name):
    capture, report = build(name)
    raw = capture["raw"]
    assert report["status"] == "passed"
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    # These captures predate runtime_limits and config_drift: they hold no unit limits and no snapshot
    # reading, and the report says so.
    assert statuses.pop("runtime_limits") == "skipped"
    assert statuses.pop("config_drift") == "skipped"
    assert set(statuses.values()) == {"passed"}
    assert report["failed_checks"] == report["warnings"] == report["audit_findings"] == []
    assert report["version"] == raw["current_link"]["lnk_target"].split("/")[-1] == "1.0.0"
    assert report["uid"] == int(raw["user_entry"][1])
    assert report["n_restarts"] == int(raw["unit_after"]["NRestarts"])
    assert report["exposure"] == raw["exposure_result"]["exposure"]
    assert report["health"] == "ok"
    tls = raw["liveness_result"]["tls"]
    assert str(tls["days_remaining"]) in checks(report)["tls_expiry"]["detail"]


def test_a_failing_host_reports_every_failure_with_its_severity():
    capture, report = build("fail-debian13")
    raw, by_name = capture["raw"], checks(build("fail-debian13")[1])
    # The modules' own verdicts carry through.
    assert raw["checksum_result"]["failed"] and by_name["checksum"]["status"] == "failed"
    assert raw["signature_result"]["failed"] and by_name["signature"]["status"] == "failed"
    assert raw["exposure_result"]["failed"] and by_name["exposure"]["status"] == "failed"
    assert raw["go_build_result"]["violations"] == [by_name["go_build"]["detail"]]
    # The settings the role ran with decide the rest.
    assert capture["config"]["verify_user"] == "nobody" and by_name["user"]["status"] == "failed"
    assert "http://127.0.0.1:8080/healthz (HTTP 200)" in by_name["forbidden_urls"]["detail"]
    assert by_name["tls_expiry"]["status"] == "failed"
    assert by_name["structured_logs"]["status"] == "failed" and "lacks trace_id" in by_name["structured_logs"]["detail"]
    assert report["failed_checks"] == ["user", "checksum", "signature", "exposure", "forbidden_urls", "structured_logs"]
    assert report["warnings"] == ["tls_expiry"]
    assert report["audit_findings"] == ["go_build"]
    assert report["status"] == "failed"


def test_a_restart_inside_the_window_fails_restarts_only():
    capture, report = build("restart-debian11")
    before, after = capture["raw"]["unit_before"], capture["raw"]["unit_after"]
    assert int(after["NRestarts"]) > int(before["NRestarts"])
    assert report["failed_checks"] == ["restarts"]
    detail = checks(report)["restarts"]["detail"]
    assert f"NRestarts grew {before['NRestarts']} -> {after['NRestarts']}" in detail
    assert f"main PID {before['MainPID']} -> {after['MainPID']}" in detail


def test_quick_mode_is_reported_and_still_fails_a_changed_process():
    capture = load("pass-debian12")
    severities = {**DEFAULTS, **capture["severity_overrides"]}
    full = report_mod.verify_report(capture["raw"], severities)
    assert full["mode"] == "full" and "over" in checks(full)["restarts"]["detail"]
    raw = dict(capture["raw"], mode="quick", window_seconds=0.1)
    quick = report_mod.verify_report(raw, severities)
    pid = raw["unit_after"]["MainPID"]
    assert quick["mode"] == "quick" and quick["status"] == "passed"
    assert checks(quick)["restarts"]["detail"] == (
        f"NRestarts {raw['unit_after']['NRestarts']}, main PID {pid} (quick: no observation window)"
    )
    # Without a window, a process that changed between the two reads still fails, and so does a restart.
    changed = dict(raw, unit_after=dict(raw["unit_after"], MainPID=str(int(pid) + 1)))
    assert report_mod.verify_report(changed, severities)["failed_checks"] == ["restarts"]
    grown = dict(raw, unit_after=dict(raw["unit_after"], NRestarts=str(int(raw["unit_after"]["NRestarts"]) + 1)))
    assert report_mod.verify_report(grown, severities)["failed_checks"] == ["restarts"]


@pytest.mark.skipif(not shutil.which("capsh"), reason="capsh (libcap2-bin) is not installed")
def test_a_root_process_with_capabilities_fails_user_and_capabilities():
    capture, report = build("journald-debian12")
    cap_eff = report_mod.parse_proc_status(capture["raw"]["proc_status"])["CapEff"]
    decoded = subprocess.run(["capsh", f"--decode={cap_eff}"], capture_output=True, text=True, check=True).stdout
    assert report["failed_checks"] == ["user", "capabilities", "exposure"]
    assert (
        f"beyond the allowed set: {decoded.strip().split('=', 1)[1].replace(',', ', ')} "
        in (checks(report)["capabilities"]["detail"])
    )
    assert checks(report)["user"]["detail"].endswith("services must not run as root")


def test_allowed_capabilities_accept_any_spelling():
    capture = load("journald-debian12")
    held = report_mod.decode_capabilities(report_mod.parse_proc_status(capture["raw"]["proc_status"])["CapEff"])
    raw = dict(capture["raw"], allowed_capabilities=[c.upper() for c in held[:-1]] + [held[-1][4:]])
    report = report_mod.verify_report(raw, DEFAULTS)
    assert checks(report)["capabilities"]["status"] == "passed"


def test_severity_overrides_decide_whether_the_host_fails():
    _capture, report = build("fail-debian13", {c: "warning" for c in report_mod.CHECKS})
    assert report["status"] == "passed"
    assert report["failed_checks"] == []
    assert len(report["warnings"]) == 8


def test_skipped_tasks_give_skipped_checks():
    capture = load("pass-debian12")
    raw = dict(capture["raw"], forbidden_urls=[], log_required_fields=[], expected_checksum="")
    raw.update(signature_result={"skipped": True}, go_build_result={"skipped": True}, health_url="", ready_url="")
    raw["unit_after"] = dict(raw["unit_after"], CPUQuotaPerSecUSec="infinity", MemoryMax="infinity")
    by_name = checks(report_mod.verify_report(raw, DEFAULTS))
    skipped = {n for n, c in by_name.items() if c["status"] == "skipped"}
    assert skipped == {
        "checksum",
        "signature",
        "go_build",
        "liveness",
        "readiness",
        "tls_expiry",
        "forbidden_urls",
        "structured_logs",
        "config_drift",
    }


def test_readiness_is_not_probed_after_liveness_failed():
    capture = load("pass-debian11")
    failed = dict(capture["raw"]["liveness_result"], failed=True, msg="health check failed: connection refused")
    raw = dict(capture["raw"], liveness_result=failed)
    by_name = checks(report_mod.verify_report(raw, DEFAULTS))
    assert by_name["liveness"]["status"] == "failed"
    assert by_name["readiness"] == dict(by_name["readiness"], status="skipped", detail="not probed: liveness failed")


def test_a_journal_line_that_is_not_json_fails_structured_logs():
    capture = load("pass-debian13")
    journal = copy.deepcopy(capture["raw"]["journal_result"])
    journal["stdout_lines"].append("panic: runtime error: invalid memory address or nil pointer dereference")
    by_name = checks(report_mod.verify_report(dict(capture["raw"], journal_result=journal), DEFAULTS))
    assert by_name["structured_logs"]["status"] == "failed"
    assert "is not JSON: 'panic: runtime error" in by_name["structured_logs"]["detail"]


def test_a_journal_line_nested_too_deeply_fails_structured_logs_without_an_exception():
    capture = load("pass-debian13")
    journal = copy.deepcopy(capture["raw"]["journal_result"])
    journal["stdout_lines"].append("[" * 100000)
    by_name = checks(report_mod.verify_report(dict(capture["raw"], journal_result=journal), DEFAULTS))
    assert by_name["structured_logs"]["status"] == "failed"
    assert "is not JSON: '[[[[" in by_name["structured_logs"]["detail"]


@pytest.mark.parametrize(
    ("severities", "message"),
    [
        ("blocking", "must be a mapping"),
        (dict(DEFAULTS, no_such_check="blocking"), r"unknown checks: \['no_such_check'\]"),
        (dict(DEFAULTS, checksum="fatal"), r"bad values: \['checksum=fatal'\]"),
    ],
    ids=["not-a-mapping", "unknown-check", "bad-severity"],
)
def test_bad_severities_are_refused(severities, message):
    with pytest.raises(AnsibleFilterError, match=message):
        report_mod.verify_report(load("pass-debian11")["raw"], severities)


def test_raw_input_that_is_not_a_mapping_is_refused():
    with pytest.raises(AnsibleFilterError, match="must be a mapping of the role's raw results"):
        report_mod.verify_report(["not", "a", "mapping"], DEFAULTS)


# --- JUnit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CAPTURES)
def test_junit_is_well_formed_with_one_testcase_per_check(name):
    _capture, report = build(name)
    root = ET.fromstring(junit_mod.verify_junit(report).encode())
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(report_mod.CHECKS)
    assert suite.get("name") == report["host"]
    failures = [c.get("name") for c in cases if c.find("failure") is not None]
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    assert failures == report["failed_checks"]
    assert suite.get("failures") == root.get("failures") == str(len(failures))
    assert skipped == [c["name"] for c in report["checks"] if c["status"] == "skipped"]
    for case in cases:
        if case.get("name") in report["warnings"] + report["audit_findings"]:
            assert case.find("failure") is None
            assert "(does not fail the host)" in case.find("system-out").text


def test_junit_drops_characters_xml_cannot_carry():
    _capture, report = build("fail-debian13")
    report["checks"][0]["detail"] = "\x1b[31mred\x1b[0m & <tag>"
    root = ET.fromstring(junit_mod.verify_junit(report).encode())
    assert root.find("testsuite/testcase/system-out").text == "?[31mred?[0m & <tag>"


def test_junit_refuses_something_that_is_not_a_report():
    with pytest.raises(AnsibleFilterError, match="must be a report"):
        junit_mod.verify_junit({"host": "x"})


# --- fleet summary -------------------------------------------------------------------------


def test_summary_has_a_line_per_host_with_the_report_fields():
    rows = [{"host": f"h{i}", "report": build(name)[1]} for i, name in enumerate(["pass-debian11", "fail-debian13"])]
    lines = summary_mod.verify_summary(rows)
    assert lines[0].split() == ["HOST", "VERSION", "USER", "HEALTH", "EXPOSURE", "RESTARTS", "FAILED", "CHECKS"]
    first = rows[0]["report"]
    assert lines[1].split() == [
        "h0",
        first["version"],
        f"{first['user']}({first['uid']})",
        "ok",
        f"{first['exposure']:.1f}",
        first["exposure_level"],
        str(first["n_restarts"]),
        "none",
    ]
    assert lines[2].split()[-1] == (
        "user,checksum,signature,exposure,forbidden_urls,structured_logs,tls_expiry(warning),go_build(audit)"
    )


def test_summary_shows_the_rollout_of_each_host():
    report = build("pass-debian12")[1]
    rows = [
        {"host": "a", "report": report, "rollout": {"status": "deployed", "from": "0.9.0", "to": "1.0.0"}},
        {"host": "b", "report": report, "rollout": {"status": "rolled back", "from": "0.9.0", "to": "1.0.0"}},
        {"host": "c", "version": "0.9.0", "rollout": {"status": "not reached"}},
        {"host": "d", "report": report, "rollout": {"status": "rollback failed", "from": "0.9.0", "to": "1.0.0"}},
        {"host": "e", "report": report, "rollout": {"status": "unchanged", "from": "0.9.0", "to": "1.0.0"}},
        {"host": "f", "report": report, "rollout": {"status": "failed", "from": "", "to": "1.0.0"}},
        {
            "host": "g",
            "report": report,
            "rollout": {"status": "deployed", "from": "1.0.0", "to": "1.0.0", "changed": False},
        },
        {"host": "h", "report": report},
        {
            "host": "i",
            "report": report,
            "rollout": {"status": "deployed", "from": "1.0.0", "to": "1.0.0", "changed": True},
        },
    ]
    lines = summary_mod.verify_summary(rows)
    assert lines[0].endswith("ROLLOUT")
    assert lines[1].endswith("0.9.0 -> 1.0.0")
    assert lines[2].endswith("1.0.0 failed, rolled back to 0.9.0")
    assert re.match(r"^c +0\.9\.0 +- +- +- +- +not verified +not reached$", lines[3])
    assert lines[4].endswith("1.0.0 failed, ROLLBACK FAILED (was 0.9.0)")
    assert lines[5].endswith("1.0.0 failed before changing the host")
    assert lines[6].endswith("1.0.0 failed, nothing to roll back to")
    assert lines[7].endswith("1.0.0 (unchanged)")
    assert lines[8].endswith(" -")
    # Same release, but the run rewrote the unit or configuration (and restarted it): not "unchanged".
    assert lines[9].endswith("1.0.0 (reconfigured)")


def test_summary_refuses_rows_without_a_host():
    with pytest.raises(AnsibleFilterError, match="list of mappings with at least a host key"):
        summary_mod.verify_summary([{"report": None}])


# --- captures of the role on gosvc.hardening.service_probe ---------------------------------


def test_a_healthy_host_through_service_probe():
    capture, report = build("probe-pass-debian11")
    raw = capture["raw"]
    assert report["status"] == "passed"
    assert report["version"] == raw["current_link"]["lnk_target"].split("/")[-1] == "1.0.0"
    assert report["uid"] == int(raw["user_entry"][1])
    skipped = {c["name"] for c in report["checks"] if c["status"] == "skipped"}
    # What the demo inventory does not configure: no signature, no build policy, no HTTPS endpoint;
    # and runtime_limits and config_drift, which came after this capture (no unit limits, no snapshot read).
    assert skipped == {"signature", "go_build", "tls_expiry", "runtime_limits", "config_drift"}
    assert raw["go_build_result"]["skipped"] is True
    assert {c["status"] for c in report["checks"]} - {"skipped"} == {"passed"}


def test_a_failing_host_through_service_probe_reports_every_failure():
    capture, report = build("probe-fail-debian12")
    raw, by_name = capture["raw"], checks(report)
    for check, result in (("checksum", "checksum_result"), ("exposure", "exposure_result")):
        assert raw[result]["failed"] is True
        assert by_name[check]["status"] == "failed"
    assert raw["go_build_result"]["violations"] and by_name["go_build"]["severity"] == "audit"
    assert raw["forbidden_results"][0]["stop_reason"] == "success"
    assert report["failed_checks"] == ["user", "checksum", "exposure", "forbidden_urls"]
    assert report["warnings"] == ["structured_logs"]
    assert report["audit_findings"] == ["go_build"]


# --- runtime_limits: the Go runtime sized to the unit's cgroup --------------------------------
# Unit properties and process environments as systemd 247, 252 and 257 printed them
# (tests/unit/data/runtime_limits): CPUQuota=150%, MemoryMax=512M, GOMAXPROCS=2,
# GOMEMLIMIT=483183820 in "limits"; CPUQuota=25%, MemoryMax=50% and nothing set in "quarter";
# CPUQuota=9000%, no MemoryMax, GOMAXPROCS=64, GOMEMLIMIT=off in "wide"; no limits in "nolimits".

LIMITS = ROOT / "tests" / "unit" / "data" / "runtime_limits"
LIMIT_HOSTS = ("debian11", "debian12", "debian13")
RUNTIME = report_mod.DECLARED[report_mod.CHECKS.index("runtime_limits")]


def limits_raw(host, unit, environment=None, go_version="go1.22.5", drop=()):
    """A healthy host's raw inputs with the captured unit's limits and the declared environment variables."""
    show = (LIMITS / host / f"{unit}.show.txt").read_text()
    after = dict(line.split("=", 1) for line in show.splitlines())
    found = {}
    for entry in (LIMITS / host / f"{unit}.environ").read_bytes().decode().split("\0"):
        name, _sep, value = entry.partition("=")
        if name in RUNTIME.environment and name not in drop:
            found[name] = value
    raw = copy.deepcopy(load("pass-debian12")["raw"])
    raw.update(unit_before=dict(after), unit_after=after, go_version=go_version)
    raw["environment"] = found if environment is None else environment
    return raw


def runtime_check(raw):
    return checks(report_mod.verify_report(raw))["runtime_limits"]


def test_runtime_limits_declares_what_service_probe_must_read():
    assert RUNTIME.severity == "warning"
    assert RUNTIME.unit_properties == ("CPUQuotaPerSecUSec", "MemoryMax")
    assert RUNTIME.environment == ("GOMAXPROCS", "GOMEMLIMIT", "GODEBUG")
    derived = report_mod.verify_checks({})
    assert {"CPUQuotaPerSecUSec", "MemoryMax"} <= set(derived["unit_properties"])
    assert "API_TOKEN" not in derived["environment"]


@pytest.mark.parametrize("host", LIMIT_HOSTS)
def test_runtime_limits_passes_when_go_s_limits_match_the_unit_s(host):
    check = runtime_check(limits_raw(host, "limits"))
    assert check == {
        "name": "runtime_limits",
        "status": "passed",
        "severity": "warning",
        "detail": "GOMAXPROCS=2 within CPUQuota=150% (1.5 CPUs); GOMEMLIMIT=483183820 within MemoryMax=512M",
    }


@pytest.mark.parametrize("host", LIMIT_HOSTS)
def test_runtime_limits_fails_as_a_warning_when_gomemlimit_is_removed(host):
    report = report_mod.verify_report(limits_raw(host, "limits", drop=("GOMEMLIMIT",)))
    check = checks(report)["runtime_limits"]
    assert check["status"] == "failed"
    assert check["detail"] == (
        "MemoryMax=512M but GOMEMLIMIT is not set: the garbage collector does not see the limit and the kernel "
        "kills the service first; set GOMEMLIMIT to about 90% of it (483183820)"
    )
    assert report["status"] == "passed"
    assert report["warnings"] == ["runtime_limits"]
    assert report_mod.verify_report(limits_raw(host, "limits", drop=("GOMEMLIMIT",)), {"runtime_limits": "blocking"})[
        "failed_checks"
    ] == ["runtime_limits"]


@pytest.mark.parametrize("host", LIMIT_HOSTS)
def test_runtime_limits_without_gomaxprocs_depends_on_the_go_release(host):
    old = runtime_check(limits_raw(host, "limits", drop=("GOMAXPROCS",), go_version="go1.24.9"))
    assert old["status"] == "failed"
    assert old["detail"].startswith(
        "CPUQuota=150% (1.5 CPUs) but GOMAXPROCS is not set: the binary, built with go1.24.9, runs as many threads"
    )
    assert "set GOMAXPROCS=2 " in old["detail"]
    new = runtime_check(limits_raw(host, "limits", drop=("GOMAXPROCS",), go_version="go1.25.1"))
    assert new["status"] == "passed"
    assert new["detail"].startswith("GOMAXPROCS unset, which go1.25.1 sizes from CPUQuota=150% (1.5 CPUs);")
    unknown = runtime_check(limits_raw(host, "limits", drop=("GOMAXPROCS",), go_version=None))
    assert unknown["status"] == "failed"
    assert "built with a Go release that could not be read" in unknown["detail"]


def test_runtime_limits_honours_godebug_turning_the_cgroup_reading_off():
    env = {"GOMEMLIMIT": "483183820", "GODEBUG": "gctrace=0,containermaxprocs=0"}
    check = runtime_check(limits_raw("debian13", "limits", environment=env, go_version="go1.26.0"))
    assert check["status"] == "failed"
    assert "GOMAXPROCS is not set" in check["detail"]


@pytest.mark.parametrize("host", LIMIT_HOSTS)
def test_runtime_limits_names_both_problems_of_a_unit_with_limits_and_no_go_settings(host):
    raw = limits_raw(host, "quarter")
    assert raw["unit_after"]["MemoryMax"] == "12638097408"  # MemoryMax=50% of the capturing machine, resolved
    check = runtime_check(raw)
    assert check["status"] == "failed"
    cpu, _sep, mem = check["detail"].partition("themselves unless GODEBUG has containermaxprocs=0); ")
    assert cpu.startswith("CPUQuota=25% (0.25 CPUs) but GOMAXPROCS is not set") and "GOMAXPROCS=1 " in cpu
    assert mem == (
        "MemoryMax=12341892K but GOMEMLIMIT is not set: the garbage collector does not see the limit and the "
        "kernel kills the service first; set GOMEMLIMIT to about 90% of it (11374287667)"
    )


@pytest.mark.parametrize("host", LIMIT_HOSTS)
def test_runtime_limits_reads_a_quota_of_minutes_and_an_unlimited_memory(host):
    check = runtime_check(limits_raw(host, "wide"))
    assert check["status"] == "passed"
    assert check["detail"] == "GOMAXPROCS=64 within CPUQuota=9000% (90 CPUs)"


@pytest.mark.parametrize("host", LIMIT_HOSTS)
def test_runtime_limits_passes_a_unit_without_limits(host):
    check = runtime_check(limits_raw(host, "nolimits"))
    assert (check["status"], check["detail"]) == ("passed", "the unit sets neither CPUQuota= nor MemoryMax=")


@pytest.mark.parametrize(
    ("environment", "detail"),
    [
        (
            {"GOMAXPROCS": "4", "GOMEMLIMIT": "483183820"},
            "GOMAXPROCS=4 is above CPUQuota=150% (1.5 CPUs): the kernel throttles the extra threads; set GOMAXPROCS=2",
        ),
        (
            {"GOMAXPROCS": "two", "GOMEMLIMIT": "483183820"},
            "GOMAXPROCS=two is not a whole number of 1 or more (the Go runtime ignores it)",
        ),
        (
            {"GOMAXPROCS": "0", "GOMEMLIMIT": "483183820"},
            "GOMAXPROCS=0 is not a whole number of 1 or more (the Go runtime ignores it)",
        ),
        (
            {"GOMAXPROCS": "2", "GOMEMLIMIT": "1GiB"},
            "GOMEMLIMIT=1GiB is above MemoryMax=512M (536870912 bytes): the kernel kills the service first",
        ),
        (
            {"GOMAXPROCS": "2", "GOMEMLIMIT": "536870913"},
            "GOMEMLIMIT=536870913 is above MemoryMax=512M (536870912 bytes): the kernel kills the service first",
        ),
        (
            {"GOMAXPROCS": "2", "GOMEMLIMIT": "1.5G"},
            "GOMEMLIMIT=1.5G is not a size the Go runtime reads (bytes, or a B, KiB, MiB, GiB or TiB suffix)",
        ),
        (
            {"GOMAXPROCS": "2", "GOMEMLIMIT": "off"},
            "MemoryMax=512M but GOMEMLIMIT is off: the garbage collector does not see the limit and the kernel "
            "kills the service first; set GOMEMLIMIT to about 90% of it (483183820)",
        ),
    ],
    ids=[
        "gomaxprocs-above",
        "gomaxprocs-word",
        "gomaxprocs-zero",
        "gomemlimit-above",
        "gomemlimit-one-byte-above",
        "gomemlimit-decimal",
        "gomemlimit-off",
    ],
)
def test_runtime_limits_refuses_go_settings_beyond_the_unit_s_limits(environment, detail):
    check = runtime_check(limits_raw("debian12", "limits", environment=environment))
    assert (check["status"], check["detail"]) == ("failed", detail)


@pytest.mark.parametrize(
    ("memory", "shown"),
    [("1073741824", "1G"), ("3221225472", "3G"), ("1572864", "1536K"), ("1000", "1000"), ("2147483648", "2G")],
)
def test_runtime_limits_writes_memory_max_as_systemd_takes_it(memory, shown):
    raw = limits_raw("debian12", "limits", environment={"GOMAXPROCS": "2"})
    raw["unit_after"] = dict(raw["unit_after"], MemoryMax=memory)
    detail = runtime_check(raw)["detail"]
    assert detail.startswith(f"MemoryMax={shown} but GOMEMLIMIT is not set"), detail


@pytest.mark.parametrize(("quota", "cpus"), [("2s", 2), ("1s", 1), ("250ms", 1), ("2.500000s", 3), ("1min 30s", 90)])
def test_runtime_limits_allows_as_many_threads_as_whole_cpus_the_quota_covers(quota, cpus):
    raw = limits_raw("debian12", "limits", environment={"GOMAXPROCS": str(cpus), "GOMEMLIMIT": "1"})
    raw["unit_after"] = dict(raw["unit_after"], CPUQuotaPerSecUSec=quota)
    assert runtime_check(raw)["status"] == "passed"
    over = dict(raw, environment={"GOMAXPROCS": str(cpus + 1), "GOMEMLIMIT": "1"})
    assert runtime_check(over)["detail"].endswith(f"set GOMAXPROCS={cpus}")


@pytest.mark.parametrize("quota", ["", "infinity", "1.5 s", "3parsecs", "s"])
def test_runtime_limits_reads_no_quota_from_infinity_or_what_it_cannot_parse(quota):
    raw = limits_raw("debian12", "nolimits")
    raw["unit_after"] = dict(raw["unit_after"], CPUQuotaPerSecUSec=quota)
    assert runtime_check(raw)["detail"] == "the unit sets neither CPUQuota= nor MemoryMax="


@pytest.mark.parametrize("godebug", ["containermaxprocs=0", "gctrace=1, containermaxprocs=0"])
def test_runtime_limits_reads_containermaxprocs_as_a_godebug_setting(godebug):
    raw = limits_raw("debian12", "limits", environment={"GODEBUG": godebug, "GOMEMLIMIT": "1"}, go_version="go1.25.0")
    assert runtime_check(raw)["status"] == "failed"
    lookalike = dict(raw, environment={"GODEBUG": "xcontainermaxprocs=01", "GOMEMLIMIT": "1"})
    assert runtime_check(lookalike)["status"] == "passed"


@pytest.mark.parametrize("go_version", [None, "", "devel go1.26-abcdef", "go2.0", 125])
def test_runtime_limits_treats_an_unknown_go_release_as_one_that_does_not_read_the_quota(go_version):
    raw = limits_raw("debian12", "limits", environment={"GOMEMLIMIT": "1"}, go_version=go_version)
    assert runtime_check(raw)["status"] == "failed"


@pytest.mark.parametrize("value", ["536870912", "512MiB", "524288KiB", "536870912B", "0"])
def test_runtime_limits_accepts_every_go_spelling_up_to_the_limit(value):
    check = runtime_check(limits_raw("debian12", "limits", environment={"GOMAXPROCS": "1", "GOMEMLIMIT": value}))
    assert check["status"] == "passed", check["detail"]


def test_runtime_limits_without_a_process_or_its_environment_says_so():
    raw = limits_raw("debian12", "limits")
    stopped = dict(raw, unit_after=dict(raw["unit_after"], MainPID="0"))
    assert runtime_check(stopped)["status"] == "skipped"
    unread = runtime_check(dict(raw, environment=None))
    assert unread["status"] == "failed"
    assert unread["detail"] == f"/proc/{raw['unit_after']['MainPID']}/environ could not be read"


# --- config_drift -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "status", "words"),
    [
        (None, "skipped", "were not compared"),
        (
            {"recorded": False, "version": "1.0.0", "files": [], "drifted": []},
            "skipped",
            "release 1.0.0 has no snapshot",
        ),
        ({"recorded": False, "error": "cannot read the snapshot /x: bad"}, "failed", "cannot read the snapshot"),
        (
            {"recorded": True, "version": "1.0.0", "files": ["/a", "/b"], "drifted": []},
            "passed",
            "2 file(s) as release 1.0.0",
        ),
        (
            {
                "recorded": True,
                "version": "1.0.0",
                "files": ["/etc/demo/demo.env", "/etc/systemd/system/demo.service"],
                "drifted": [
                    {"path": "/etc/demo/demo.env", "differences": ["mode 0644, recorded 0640"]},
                    {
                        "path": "/etc/systemd/system/demo.service",
                        "differences": ["content differs from the recorded one"],
                    },
                ],
            },
            "failed",
            "2 file(s) differ from what release 1.0.0 recorded: /etc/demo/demo.env: mode 0644, recorded 0640;"
            " /etc/systemd/system/demo.service: content differs from the recorded one",
        ),
    ],
)
def test_config_drift_reads_the_snapshot_comparison(reading, status, words):
    capture = load("pass-debian12")
    by_name = checks(report_mod.verify_report(dict(capture["raw"], config_drift=reading), DEFAULTS))
    assert by_name["config_drift"]["status"] == status
    assert words in by_name["config_drift"]["detail"]
    assert by_name["config_drift"]["severity"] == "blocking"


def test_a_passed_probe_names_the_process_that_answered():
    capture = load("pass-debian12")
    liveness = dict(capture["raw"]["liveness_result"], owners=[{"pid": 812, "unit": "demo.service"}])
    readiness = dict(capture["raw"]["readiness_result"], owners=None)
    raw = dict(capture["raw"], liveness_result=liveness, readiness_result=readiness)
    by_name = checks(report_mod.verify_report(raw, DEFAULTS))
    assert by_name["liveness"]["detail"].endswith("; answered by pid 812 (demo.service)")
    assert "answered by" not in by_name["readiness"]["detail"]
