# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the verify role's reports as a CI system would read them.

    check_reports.py SCHEMA REPORT_DIR NAME [NAME ...]

For every NAME: NAME.json validates against SCHEMA (JSON Schema 2020-12), NAME.xml is well-formed
JUnit with one testsuite named after the report's host and one testcase per check, and the JUnit
counts agree with the report (failures = failed blocking checks, skipped = skipped checks).
Prints {NAME: {"status", "version", "mode", "health", "failed_checks"}} as JSON; exits 1 listing every problem.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema


def check(schema_path: Path, report_dir: Path, names: list[str]) -> tuple[dict, list[str]]:
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))
    summary, problems = {}, []
    for name in names:
        try:
            report = json.loads((report_dir / f"{name}.json").read_text())
            root = ET.parse(report_dir / f"{name}.xml").getroot()
        except (OSError, ValueError, ET.ParseError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        problems += [f"{name}.json: {'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(report)]
        suites = root.findall("testsuite")
        cases = suites[0].findall("testcase") if len(suites) == 1 else []
        checks = report.get("checks", [])
        blocking = [c for c in checks if c["status"] == "failed" and c["severity"] == "blocking"]
        skipped = [c for c in checks if c["status"] == "skipped"]
        expected = {
            "root": "testsuites",
            "suites": 1,
            "suite name": report.get("host"),
            "testcases": [c["name"] for c in checks],
            "failures": len(blocking),
            "skipped": len(skipped),
        }
        actual = {
            "root": root.tag,
            "suites": len(suites),
            "suite name": suites[0].get("name") if suites else None,
            "testcases": [c.get("name") for c in cases],
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        problems += [f"{name}.xml: {k} is {actual[k]!r}, expected {v!r}" for k, v in expected.items() if actual[k] != v]
        if suites and suites[0].get("failures") != str(len(blocking)):
            problems.append(f"{name}.xml: failures attribute {suites[0].get('failures')} != {len(blocking)}")
        summary[name] = {k: report.get(k) for k in ("status", "version", "mode", "health", "failed_checks")}
    return summary, problems


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    summary, problems = check(Path(argv[1]), Path(argv[2]), argv[3:])
    print(json.dumps({"reports": summary, "problems": problems}, sort_keys=True))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
