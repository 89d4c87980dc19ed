# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Summarize JUnit XML files as a CI system shows them, and fail on a failed or missing test.

    python scripts/junit-summary.py junit/*.xml

One line per test suite (tests, failures, errors, skipped), then each failed test case with its
message. Exits 1 when a file is missing or unreadable, a suite has no test case, or any case failed
or erred: a verifier whose JUnit output a CI system cannot read is as bad as a failed check.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def _failure(case):
    """A test case's <failure> or <error>, None when it passed or was skipped."""
    failure = case.find("failure")
    return failure if failure is not None else case.find("error")


def summarize(paths):
    """Lines to print and the problems found in the JUnit files at ``paths``."""
    lines, problems = [], []
    if not paths:
        problems.append("no JUnit file was written")
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            problems.append(f"{path}: not a readable JUnit file: {exc}")
            continue
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        if not suites:
            problems.append(f"{path}: no <testsuite>")
        for suite in suites:
            cases = suite.findall("testcase")
            failed = [(case, node) for case in cases if (node := _failure(case)) is not None]
            skipped = [c for c in cases if c.find("skipped") is not None]
            lines.append(
                f"{Path(path).name}: {suite.get('name')}: {len(cases)} tests, {len(failed)} failed, "
                f"{len(skipped)} skipped"
            )
            if not cases:
                problems.append(f"{path}: suite {suite.get('name')} has no test case")
            for case, node in failed:
                problems.append(f"{path}: {case.get('classname')}.{case.get('name')}: {node.get('message')}")
    return lines, problems


def main(argv):
    lines, problems = summarize(argv[1:])
    for line in lines:
        print(line)
    for problem in problems:
        print(f"FAILED {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
