# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/junit-summary.py: the users' Molecule example's JUnit files, read as a CI system reads them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ansible_collections.gosvc.hardening.plugins.filter.verify_junit import verify_junit

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("junit_summary", ROOT / "scripts" / "junit-summary.py")
junit_summary = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(junit_summary)


def _report(host, *checks):
    return {"host": host, "checks": [dict(severity="blocking", detail="d", **c) for c in checks]}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_passed_and_skipped_checks_pass(tmp_path):
    xml = verify_junit(_report("h1", {"name": "user", "status": "passed"}, {"name": "signature", "status": "skipped"}))
    lines, problems = junit_summary.summarize([_write(tmp_path, "h1.xml", xml)])
    assert problems == []
    assert lines == ["h1.xml: h1: 2 tests, 0 failed, 1 skipped"]


def test_a_failed_blocking_check_is_named_with_its_message(tmp_path):
    report = _report("h2", {"name": "user", "status": "passed"}, {"name": "restarts", "status": "failed"})
    report["checks"][1]["detail"] = "restarted 3 times in the window"
    lines, problems = junit_summary.summarize([_write(tmp_path, "h2.xml", verify_junit(report))])
    assert lines == ["h2.xml: h2: 2 tests, 1 failed, 0 skipped"]
    assert len(problems) == 1 and problems[0].endswith(".restarts: restarted 3 times in the window")
    assert junit_summary.main(["junit-summary", str(tmp_path / "h2.xml")]) == 1


def test_a_warning_is_not_a_failure(tmp_path):
    report = _report("h3", {"name": "exposure", "status": "failed"})
    report["checks"][0]["severity"] = "warning"
    assert junit_summary.summarize([_write(tmp_path, "h3.xml", verify_junit(report))])[1] == []


def test_no_file_an_unreadable_file_and_an_empty_suite_fail(tmp_path):
    assert junit_summary.summarize([])[1] == ["no JUnit file was written"]
    assert "not a readable JUnit file" in junit_summary.summarize([_write(tmp_path, "bad.xml", "<testsuites")])[1][0]
    assert "has no test case" in junit_summary.summarize([_write(tmp_path, "e.xml", '<testsuite name="x"/>')])[1][0]
    assert junit_summary.main(["junit-summary", str(tmp_path / "missing.xml")]) == 1
