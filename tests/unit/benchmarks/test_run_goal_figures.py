# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/run.py prints a ratio so that its verdict can be read from it: a miss never shows as the limit."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("bench_run_goals", ROOT / "benchmarks" / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


@pytest.mark.parametrize(
    ("ratio", "limit", "text", "verdict"),
    [
        (4.004, 4, "4.004", "MISS"),  # two decimals would print 4.00 next to MISS
        (3.996, 4, "3.996", "PASS"),
        (4.0, 4, "4.00", "PASS"),
        (4.31, 4, "4.31", "MISS"),
        (0.3502, 0.35, "0.350", "MISS"),
        (0.362, 0.35, "0.36", "MISS"),
        (0.77, 1.0, "0.77", "PASS"),
    ],
)
def test_ratio_text_does_not_hide_the_verdict(ratio, limit, text, verdict):
    assert run.shown(ratio, limit) == text
    assert run.verdict(ratio <= limit) == verdict


def test_no_ratio_is_a_dash():
    assert run.shown(None, 4) == "-"


def test_goal_rows_use_the_precise_text():
    runs = {5: {"deploy": [{"seconds": 10.0}], "rerun": [{"seconds": 3.502}]}}
    rows = run.goals({"runs": runs, "forks": 5})
    row = next(r for r in rows if r[0] == "re-run / first deploy, N=5")
    assert row[1:] == ("0.350", "<= 0.35", "MISS")
