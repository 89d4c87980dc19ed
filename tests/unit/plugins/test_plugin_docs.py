# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse as YAML, and every action plugin has its module page.

ansible-test sanity checks far more; this catches the common slip (a ": " inside a plain
scalar) in a second, before sanity runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"
MODULES = sorted((PLUGINS / "modules").glob("*.py"))


def _docs(path):
    found = {}
    for node in ast.parse(path.read_text()).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and target.id in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
            found[target.id] = node.value.value
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_module_docs_parse(path):
    docs = _docs(path)
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, f"{path.name} lacks {set(docs) ^ {'DOCUMENTATION'}}"
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert documentation["module"] == path.stem
    assert isinstance(yaml.safe_load(docs["EXAMPLES"]), list)
    returned = yaml.safe_load(docs["RETURN"])
    assert returned is None or isinstance(returned, dict)


def test_every_action_plugin_has_a_module_page():
    actions = {p.stem for p in (PLUGINS / "action").glob("*.py") if p.stem != "__init__"}
    assert actions <= {p.stem for p in MODULES}
