# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every assertion of the Molecule scenarios and playbooks is a string: an unquoted condition holding
": " parses as a mapping, which ansible-core refuses only when the scenario reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("molecule/**/*.yml"), *ROOT.glob("playbooks/*.yml"), *ROOT.glob("roles/*/tasks/*.yml")])


def conditions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("ansible.builtin.assert", "assert") and isinstance(value, dict):
                that = value.get("that")
                yield from that if isinstance(that, list) else [that]
            elif key in ("when", "failed_when", "changed_when", "until"):
                yield from value if isinstance(value, list) else [value]
            else:
                yield from conditions(value)
    elif isinstance(node, list):
        for item in node:
            yield from conditions(item)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_condition_is_a_string(path):
    found = list(conditions(yaml.safe_load(path.read_text())))
    bad = [c for c in found if not isinstance(c, (str, bool))]
    assert not bad, bad
