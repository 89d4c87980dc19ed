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


def test_a_run_replaces_only_the_rows_of_what_it_ran(page, tmp_path):
    (tmp_path / "molecule" / "host_faults").mkdir(parents=True)
    (tmp_path / "molecule" / "host_faults" / "molecule.yml").write_text("---\n", encoding="utf-8")
    scenario = dict(RECORD, case="3", name="tmpfs | full", where="molecule host_faults", observed="ENOSPC")
    gone = dict(RECORD, case="6", name="old", where="molecule removed_scenario")
    assert reliability.main(["--write", _report(tmp_path, RECORD, scenario, gone)]) == 0
    assert "| old |" in page.read_text(encoding="utf-8")
    # A unit run alone keeps the scenario's rows, read back from the page as they were, and drops
    # the rows of a scenario that no longer exists.
    assert reliability.main(["--write", _report(tmp_path, RECORD)]) == 0
    assert "| tmpfs \\| full |" in page.read_text(encoding="utf-8")
    assert "| old |" not in page.read_text(encoding="utf-8")
    assert reliability.main(["--check", _report(tmp_path, RECORD)]) == 0
    # A run of the scenario that observed something else fails the check; a pytest row that changed too.
    assert reliability.main(["--check", _report(tmp_path, dict(scenario, observed="EIO"))]) == 1
    assert reliability.main(["--check", _report(tmp_path, dict(RECORD, name="renamed"))]) == 1


def test_the_page_reads_back_what_render_wrote():
    records = [RECORD, dict(RECORD, name="A \\ b | c", observed="x|y", where="molecule s")]
    text = reliability.render(records)
    assert sorted(reliability.page_records(text), key=lambda r: r["name"]) == records[1:] + records[:1]
