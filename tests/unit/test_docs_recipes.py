# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/docs.py's recipe blocks: each filled from the file it names, the text between them kept.

docs/recipes.md shows the inventories molecule/realworld runs; the check that the page is fresh is
test_verify_report.py's ``docs.py --check``. Here: the rewriting itself, on text of our own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _docs():
    spec = importlib.util.spec_from_file_location("gosvc_docs", ROOT / "scripts" / "docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_block_gets_its_own_file_and_the_text_between_stays():
    first, second = "molecule/realworld/vars/node_exporter.yml", "molecule/realworld/vars/etcd.yml"
    text = (
        f"intro\n<!-- recipe:begin {first} -->\n<!-- recipe:end -->\n\nbetween\n\n"
        f"<!-- recipe:begin {second} -->\nstale\n<!-- recipe:end -->\noutro\n"
    )
    out = _docs().recipes(text)
    one, two = ((ROOT / path).read_text() for path in (first, second))
    assert out == (
        f"intro\n<!-- recipe:begin {first} -->\n```yaml\n{one}```\n<!-- recipe:end -->\n\nbetween\n\n"
        f"<!-- recipe:begin {second} -->\n```yaml\n{two}```\n<!-- recipe:end -->\noutro\n"
    )
    assert _docs().recipes(out) == out


def test_every_recipe_on_the_page_is_a_file_a_scenario_runs():
    page = (ROOT / "docs" / "recipes.md").read_text()
    paths = _docs().RECIPE.findall(page)
    assert [path for _begin, path, _end in paths] == [
        "molecule/realworld/group_vars/go_services.yml",
        "molecule/realworld/vars/node_exporter.yml",
        "molecule/realworld/vars/etcd.yml",
    ]
    converge = (ROOT / "molecule" / "realworld" / "converge.yml").read_text()
    assert "vars_files: [vars/node_exporter.yml]" in converge and "vars_files: [vars/etcd.yml]" in converge
