# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's options live in one place: ``ARGUMENT_SPEC`` in the module_utils file that implements
it (docs/architecture.md). The module, and its action plugin when it has one, import that constant;
DOCUMENTATION describes the same options."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
PACKAGE = "ansible_collections.gosvc.hardening.plugins"


def spec_import(path):
    """The module_utils module a plugin file imports ARGUMENT_SPEC from, or None."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "ARGUMENT_SPEC" for alias in node.names):
            return node.module
    return None


def test_every_module_is_covered():
    assert len(MODULES) >= 12  # a glob that found nothing would make the tests below vacuous


@pytest.mark.parametrize("name", MODULES)
def test_a_module_imports_its_options_from_module_utils(name):
    path = ROOT / "plugins" / "modules" / f"{name}.py"
    home = spec_import(path)
    assert home and home.startswith(f"{PACKAGE}.module_utils._"), f"{name} does not import ARGUMENT_SPEC"
    assert "argument_spec=dict(" not in path.read_text()
    action = ROOT / "plugins" / "action" / f"{name}.py"
    if action.exists() and "validate_argument_spec" in action.read_text():
        assert spec_import(action) == home


@pytest.mark.parametrize("name", MODULES)
def test_the_documented_options_are_the_spec_s(name):
    module = importlib.import_module(f"{PACKAGE}.modules.{name}")
    spec = importlib.import_module(spec_import(ROOT / "plugins" / "modules" / f"{name}.py")).ARGUMENT_SPEC

    def compare(documented, options, where):
        assert set(documented) == set(options), where
        for option, rules in options.items():
            doc = documented[option]
            for key in ("type", "default", "choices", "elements"):
                assert doc.get(key) == rules.get(key), f"{where}.{option}: {key}"
            assert bool(doc.get("required")) == bool(rules.get("required")), f"{where}.{option}: required"
            if "options" in rules:
                compare(doc.get("suboptions") or {}, rules["options"], f"{where}.{option}")

    compare(yaml.safe_load(module.DOCUMENTATION)["options"], spec, name)
