# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/reliability.py: the fault matrix of docs/reliability.md, rendered from the fault tests' records."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("reliability", ROOT / "scripts" / "reliability.py")
reliability = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(reliability)

RECORD = {
    "case": "5",
    "name": "trickle [body]",
    "injected": "one byte a second",
    "expected": "fails at the timeout",
    "observed": None,
    "outcome": "passed",
    "where": "pytest test_hostile_endpoints.py",
}


@pytest.fixture
def page(tmp_path, monkeypatch):
    path = tmp_path / "reliability.md"
    path.write_text(f"# Title\n\nkept\n\n{reliability.BEGIN}\nold\n{reliability.END}\n\nkept too\n", encoding="utf-8")
    monkeypatch.setattr(reliability, "PAGE", path)
    monkeypatch.setattr(reliability, "ROOT", tmp_path)
    return path


def _report(tmp_path, *records):
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(list(records)), encoding="utf-8")
    return str(path)


def test_write_renders_the_records_between_the_markers_only(page, tmp_path):
    assert reliability.main(["--write", _report(tmp_path, RECORD, dict(RECORD, case="8", name="x | y"))]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nkept\n\n") and text.endswith(f"{reliability.END}\n\nkept too\n")
    assert "| trickle [body] | one byte a second | fails at the timeout | as expected | passed |" in text
    assert "| x \\| y |" in text
    assert "### 1. The controller dies mid-deploy\n\nNot automated yet" in text
    assert "2 fault tests, 0 not passed." in text


def test_check_fails_when_the_page_says_something_else(page, tmp_path, capsys):
    report = _report(tmp_path, RECORD)
    assert reliability.main(["--check", report]) == 1
    assert "differs from what this run observed" in capsys.readouterr().err
    reliability.main(["--write", report])
    assert reliability.main(["--check", report]) == 0
    failed = _report(tmp_path, dict(RECORD, outcome="failed", observed="failed: AssertionError"))
    assert reliability.main(["--check", failed]) == 1


def test_an_unknown_case_is_refused(page, tmp_path):
    with pytest.raises(SystemExit, match="unknown cases 9"):
        reliability.main(["--check", _report(tmp_path, dict(RECORD, case="9"))])
