# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reliability.md's fault matrix, generated from what the tests observed.

Each pytest test of a fault case carries ``@pytest.mark.fault(case=..., name=..., injected=..., expected=...)``
and may note what it observed (``record_property("observed", ...)``). A run with ``GOSVC_FAULT_REPORT=<file>``
writes one JSON record per such test (tests/unit/conftest.py). A Molecule scenario that injects faults writes
its records, with what it observed on the hosts, to ``reports/molecule/<scenario>-faults.json`` at the end of
its verify. This script renders the records:

    python scripts/reliability.py --write reports/unit-faults.json [more.json ...]   # rewrite the page
    python scripts/reliability.py --check reports/unit-faults.json [more.json ...]   # fail if the page differs

The matrix is the part of the page between the ``faults`` markers (scripts/mutate.py writes the mutation
part, between its own). A run replaces the rows of the sources it ran (every pytest row, or one scenario's
rows) and keeps the others as the page has them, so a single scenario can be run and checked on its own.
So it cannot drift from what is tested: ``scripts/test.sh unit`` checks the pytest rows, ``scripts/test.sh
molecule`` the rows of the scenarios it ran. A record's observed text must not vary from run to run (no
ports, no PIDs, no timings); tests normalise what they note.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reliability.md"

#: The cases of the fault matrix, in the order the page lists them.
CASES = {
    "1": "The controller dies mid-deploy",
    "2": "Two runs against the same host at once",
    "3": "Disk full during an install",
    "4": "A host lost mid-batch",
    "5": "Hostile health endpoints",
    "6": "A host that cannot take the service",
    "7": "The service fights back",
    "8": "Fuzzed parsers",
}

BEGIN = "<!-- faults:begin (scripts/reliability.py writes this part) -->"
END = "<!-- faults:end -->"

HEADER = """\
What a fleet meets in its first months, each case injected by an automated
test, with what it must end in and what the test observed. Every case must
end with a clear error naming the fault and what to do; the release that ran
before still running and healthy (on a first install: nothing half-installed
left behind); no secret in any output; and the next run, once the fault is
gone, converging normally.

The tables are generated from the records the tests write (pytest with
`GOSVC_FAULT_REPORT`, Molecule scenarios at the end of their verify; see
`scripts/reliability.py`): `scripts/test.sh unit` and `scripts/test.sh
molecule` fail when this part of the page differs from what their run
observed. A case without rows has no automated test yet and says so.
"""

COLUMNS = ("name", "injected", "expected", "observed", "outcome", "where")


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def source(record) -> str:
    """What one run replaces: every pytest row at once, or the rows of one Molecule scenario."""
    where = str(record["where"])
    return "pytest" if where.startswith("pytest ") else where


def page_records(text: str) -> list:
    """The records the page's tables hold now, read back from their rows."""
    records, case = [], None
    for line in text.splitlines():
        heading = re.match(r"### (\w+)\. ", line)
        if heading:
            case = heading.group(1)
            continue
        if case is None or not line.startswith("| ") or line.startswith(("| Fault |", "|---")):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != len(COLUMNS):
            raise SystemExit(f"docs/reliability.md: a row of case {case} has {len(cells)} cells, not 6: {line}")
        record = dict(zip(COLUMNS, cells), case=case)
        if record["observed"] in ("as expected", "-"):
            record["observed"] = None
        records.append(record)
    return records


def merge(kept: list, run: list) -> list:
    """The page's records of the sources this run did not run, then the run's own.

    A Molecule scenario that no longer exists loses its rows.
    """
    ran = {source(r) for r in run}

    def still_there(r):
        where = source(r)
        return (
            where == "pytest"
            or not where.startswith("molecule ")
            or (ROOT / "molecule" / where.split(" ", 1)[1] / "molecule.yml").is_file()
        )

    return [r for r in kept if source(r) not in ran and still_there(r)] + list(run)


def load(paths) -> list:
    records = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise SystemExit(f"{path}: expected a JSON list of fault records")
        records.extend(data)
    unknown = sorted({str(r.get("case")) for r in records} - set(CASES))
    if unknown:
        raise SystemExit(f"fault records name unknown cases {', '.join(unknown)}; known: {', '.join(CASES)}")
    return records


def render(records) -> str:
    lines = [HEADER]
    for case, title in CASES.items():
        rows = sorted((r for r in records if str(r["case"]) == case), key=lambda r: (r["where"], r["name"]))
        lines.append(f"### {case}. {title}\n")
        if not rows:
            lines.append("Not automated yet: no test injects this fault.\n")
            continue
        lines.append("| Fault | Injected | Expected | Observed | Result | Test |")
        lines.append("|---|---|---|---|---|---|")
        for r in rows:
            observed = r.get("observed") or ("as expected" if r["outcome"] == "passed" else "-")
            lines.append(
                f"| {_cell(r['name'])} | {_cell(r['injected'])} | {_cell(r['expected'])} | {_cell(observed)}"
                f" | {_cell(r['outcome'])} | {_cell(r['where'])} |"
            )
        lines.append("")
    failed = [r for r in records if r["outcome"] != "passed"]
    lines.append(f"{len(records)} fault tests, {len(failed)} not passed.\n")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite docs/reliability.md")
    mode.add_argument("--check", action="store_true", help="fail when docs/reliability.md differs")
    parser.add_argument("reports", nargs="+", help="JSON files of fault records (GOSVC_FAULT_REPORT)")
    args = parser.parse_args(argv)
    text = PAGE.read_text(encoding="utf-8")
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise SystemExit(f"{PAGE.relative_to(ROOT)} must hold the markers {BEGIN} and {END} once each, in order")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    records = merge(page_records(rest.split(END, 1)[0]), load(args.reports))
    page = f"{head}{BEGIN}\n{render(records)}{END}{tail}"
    if args.write:
        PAGE.write_text(page, encoding="utf-8")
        print(f"wrote the fault matrix into {PAGE.relative_to(ROOT)}")
        return 0
    if text == page:
        print(f"{PAGE.relative_to(ROOT)}: the fault matrix matches the run")
        return 0
    diff = difflib.unified_diff(
        text.splitlines(), page.splitlines(), "docs/reliability.md", "from this run", lineterm="", n=1
    )
    print("\n".join(list(diff)[:60]), file=sys.stderr)
    print(
        "docs/reliability.md's fault matrix differs from what this run observed: run"
        f" `python scripts/reliability.py --write {' '.join(args.reports)}` and commit it"
        " (or fix the test that changed).",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
