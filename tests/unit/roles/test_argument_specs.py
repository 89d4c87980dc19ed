# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every public role variable is documented, and documented defaults are the real ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())


def _load(role: str):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return defaults, spec["argument_specs"]["main"]["options"]


def test_every_role_has_argument_specs():
    assert set(ROLES) == {"go_service", "verify"}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_list_the_same_variables(role):
    defaults, options = _load(role)
    required = {name for name, opt in options.items() if opt.get("required")}
    assert set(defaults) == set(options) - required, (
        f"roles/{role}: variables in defaults/main.yml but not documented: {sorted(set(defaults) - set(options))}; "
        f"documented but without a default: {sorted(set(options) - required - set(defaults))}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_documented_defaults_match_literal_defaults(role):
    defaults, options = _load(role)
    for name, value in defaults.items():
        if isinstance(value, str) and "{{" in value:
            # Computed from other variables: validate_argument_spec would template a documented
            # default, so the description says how it is computed instead.
            assert "default" not in options[name], f"roles/{role}: {name} has a computed default; document it in prose"
            continue
        documented = options[name].get("default")
        assert documented == value, f"roles/{role}: {name} default {value!r} is documented as {documented!r}"


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_is_prefixed_with_the_role_name(role):
    defaults, options = _load(role)
    prefix = f"{role}_"
    bad = sorted(n for n in set(defaults) | set(options) if not n.startswith(prefix))
    assert not bad, f"roles/{role}: unprefixed variables {bad}"


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_a_type_and_description(role):
    _defaults, options = _load(role)
    for name, opt in options.items():
        assert opt.get("type"), f"roles/{role}: {name} has no type"
        assert opt.get("description"), f"roles/{role}: {name} has no description"


def _hardening_matrix():
    """The rows of the hardening matrix in docs/go_service.md: (directive, value, note, min systemd, profiles)."""
    doc = (ROOT / "docs" / "go_service.md").read_text()
    section = doc.split("\n## Hardening matrix\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            assert len(cells) == 5, f"docs/go_service.md: a matrix row without 5 cells: {line}"
            rows.append((cells[0].strip("`"), cells[1].strip("`"), cells[2], cells[3], cells[4]))
    return rows


def test_hardening_matrix_in_docs_lists_every_directive():
    rows = yaml.safe_load((ROOT / "roles" / "go_service" / "vars" / "main.yml").read_text())["__go_service_hardening"]
    table = [
        (
            row["key"],
            "computed (see note)" if "{{" in str(row["value"]) else str(row["value"]),
            row["note"],
            str(row["min_systemd"]),
            ", ".join(row["profiles"]),
        )
        for row in rows
    ]
    documented = _hardening_matrix()
    # Both ways: every row of the table is in the docs, and every row of the docs is in the table.
    missing = [row for row in table if row not in documented]
    assert not missing, f"docs/go_service.md: the hardening matrix lacks (or misstates) {missing}"
    stale = [row for row in documented if row not in table]
    assert not stale, f"docs/go_service.md: the hardening matrix lists rows the role does not write: {stale}"
    assert documented == table, "docs/go_service.md: the hardening matrix is not in the table's order"


def test_hardening_rows_are_well_formed():
    rows = yaml.safe_load((ROOT / "roles" / "go_service" / "vars" / "main.yml").read_text())["__go_service_hardening"]
    for row in rows:
        assert set(row) == {"key", "value", "min_systemd", "profiles", "note"}, row
        assert isinstance(row["min_systemd"], int) and row["min_systemd"] >= 1, row
        assert set(row["profiles"]) <= {"strict", "standard"} and row["profiles"], row
