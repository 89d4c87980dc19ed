# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the failures that stopped a Molecule scenario, from its log, shortly.

    python scripts/molecule-failures.py reports/molecule/<scenario>.log

A CI system often keeps only the end of a run's output, and a scenario's log is
long; this prints, at the end, the task that failed and what it said. A failure
Ansible ignored (`...ignoring`) is not one. Each is cut to a few thousand
characters: a module's whole result can be tens of thousands.
"""

from __future__ import annotations

import re
import sys

HEAD = re.compile(r"^(fatal|failed): \[")
TASK = re.compile(r"^TASK \[(.*)\] \*")
# ansible-core 2.19+ prints, before the result, where the task is: "Origin: <file>:<line>:<column>" and the
# lines around it, numbered. A failed task's message may itself hold TASK lines (a nested run's output), so
# the origin names the task better than the last TASK header.
ORIGIN = re.compile(r"^Origin: (\S+?):(\d+):\d+$")
LIMIT = 3000


def failures(lines):
    """(task, text) of each failure nobody ignored, in order."""
    found, task, i = [], "(no task)", 0
    while i < len(lines):
        line = lines[i]
        header = TASK.match(line)
        if header:
            task = header.group(1)
        origin = ORIGIN.match(line)
        if origin:
            task = f"{origin.group(1)}:{origin.group(2)}"
            for near in lines[i + 1 : i + 8]:
                named = re.match(rf"^{origin.group(2)}\s+- name: (.*)$", near)
                if named:
                    task = f"{named.group(1)} ({task})"
        if HEAD.match(line):
            block = [line]
            i += 1
            # A multi-line result: the lines up to the closing brace at column 0.
            if line.rstrip().endswith("{"):
                while i < len(lines):
                    block.append(lines[i])
                    i += 1
                    if lines[i - 1].startswith("}"):
                        break
            if i < len(lines) and lines[i].startswith("...ignoring"):
                continue
            found.append((task, "\n".join(block)))
            continue
        i += 1
    return found


def main(paths):
    for path in paths:
        with open(path, errors="replace") as handle:
            lines = handle.read().splitlines()
        found = failures(lines)
        print(f"\n--- what failed in {path} ({len(found)} unignored failure(s); the last 3):")
        for task, text in found[-3:]:
            cut = text if len(text) <= LIMIT else text[:LIMIT] + f" [... {len(text) - LIMIT} more characters]"
            print(f"TASK [{task}]\n{cut}")
        if not found:
            print("\n".join(lines[-40:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
