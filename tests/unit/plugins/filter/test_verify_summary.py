# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify_summary's ROLLOUT cell: a host deployed on the release it already ran says whether it was changed.

The whole table (every status, on reports captured from real hosts) is in tests/unit/roles/test_verify_report.py;
this file covers the rollout record as gosvc.hardening.deploy writes it, ``{status, from, to, reason, changed}``,
and the deploy playbook's records themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.gosvc.hardening.plugins.filter.verify_summary import rollout_text, verify_summary

ROOT = Path(__file__).resolve().parents[4]
RECORD_KEYS = {"status", "from", "to", "reason", "changed", "files", "replaced", "drain_seconds"}


def _deployed(old, new, **extra):
    return dict({"status": "deployed", "from": old, "to": new, "reason": ""}, **extra)


@pytest.mark.parametrize(
    ("changed", "text"),
    [
        (True, "0.25.0 (reconfigured)"),
        (False, "0.25.0 (unchanged)"),
        # ansible-core without native templating renders a set_fact boolean as text.
        ("True", "0.25.0 (reconfigured)"),
        ("False", "0.25.0 (unchanged)"),
        ("true", "0.25.0 (reconfigured)"),
        (1, "0.25.0 (reconfigured)"),
        (0, "0.25.0 (unchanged)"),
    ],
)
def test_a_host_deployed_on_its_own_release_says_whether_the_run_changed_it(changed, text):
    assert rollout_text(_deployed("0.25.0", "0.25.0", changed=changed)) == text


@pytest.mark.parametrize("record", [_deployed("0.25.0", "0.25.0"), _deployed("0.25.0", "0.25.0", changed="maybe")])
def test_a_record_that_does_not_say_whether_the_host_changed_never_reads_unchanged(record):
    """A record of a playbook of one's own, without a readable changed: the cell claims neither."""
    assert rollout_text(record) == "0.25.0 (same release)"


@pytest.mark.parametrize("changed", [True, False, None])
def test_a_new_release_reads_old_to_new_whatever_changed_says(changed):
    record = _deployed("0.24.0", "0.25.0") if changed is None else _deployed("0.24.0", "0.25.0", changed=changed)
    assert rollout_text(record) == "0.24.0 -> 0.25.0"


def test_a_first_installation_reads_none_to_new():
    assert rollout_text(_deployed("", "0.25.0", changed=True)) == "none -> 0.25.0"


def test_the_failure_cells_do_not_depend_on_changed():
    """changed is read for a deployed host only: the failure statuses say what happened on their own."""
    for changed in (True, False):
        assert rollout_text({"status": "unchanged", "from": "?", "to": "1.0.0", "changed": changed}) == (
            "1.0.0 failed before changing the host"
        )
        assert rollout_text({"status": "rolled back", "from": "0.9.0", "to": "1.0.0", "changed": changed}) == (
            "1.0.0 failed, rolled back to 0.9.0"
        )


@pytest.mark.parametrize(("old", "was"), [("0.24.0", "0.24.0"), ("", "none")])
def test_an_unreachable_host_reads_not_deployed_whatever_it_ran(old, was):
    """A host lost during its batch: never a version arrow, which would read as deployed."""
    cell = rollout_text({"status": "unreachable", "from": old, "to": "0.25.0", "changed": False})
    assert cell == f"0.25.0 NOT DEPLOYED, HOST UNREACHABLE (was {was})"
    assert "->" not in cell


def test_the_fleet_table_tells_a_reconfigured_host_from_an_unchanged_one():
    rows = [
        {"host": "app-1", "version": "0.25.0", "rollout": _deployed("0.25.0", "0.25.0", changed=True)},
        {"host": "app-2", "version": "0.25.0", "rollout": _deployed("0.25.0", "0.25.0", changed=False)},
        {"host": "app-3", "version": "0.25.0", "rollout": _deployed("0.24.0", "0.25.0", changed=True)},
    ]
    lines = verify_summary(rows)
    assert lines[0].endswith("ROLLOUT")
    assert lines[1].startswith("app-1 ") and lines[1].endswith("  0.25.0 (reconfigured)")
    assert lines[2].startswith("app-2 ") and lines[2].endswith("  0.25.0 (unchanged)")
    assert lines[3].startswith("app-3 ") and lines[3].endswith("  0.24.0 -> 0.25.0")


# --- the records deploy.yml writes ---------------------------------------------------------------


def _rollout_records(node):
    """Every gosvc_rollout mapping a set_fact of the playbook writes, with the task's name."""
    if isinstance(node, list):
        for item in node:
            yield from _rollout_records(item)
    elif isinstance(node, dict):
        facts = node.get("ansible.builtin.set_fact")
        if isinstance(facts, dict) and "gosvc_rollout" in facts:
            record = facts["gosvc_rollout"]
            # A record given whole as one of the task's vars: "{{ __name }}".
            named = re.fullmatch(r"\{\{ *(\w+) *\}\}", record) if isinstance(record, str) else None
            # An earlier record with some keys replaced: "{{ gosvc_rollout | combine({...}) }}".
            update = (
                re.fullmatch(r"\{\{ *gosvc_rollout *\| *combine\((\{.*\})\) *\}\}", record)
                if isinstance(record, str)
                else None
            )
            if update:
                yield node.get("name"), {"update": re.findall(r"'(\w+)':", update.group(1))}
            else:
                yield node.get("name"), node.get("vars", {}).get(named.group(1)) if named else record
        for value in node.values():
            yield from _rollout_records(value)


def test_every_rollout_record_of_deploy_has_the_documented_keys():
    """The summary reads changed: every record deploy.yml writes carries it (and the documented keys only)."""
    plays = yaml.safe_load((ROOT / "playbooks" / "deploy.yml").read_text())
    records = list(_rollout_records(plays))
    names = [name for name, _record in records]
    assert "Record the installation and the outcome" in names
    assert "Record the outcome" in names
    assert len(records) >= 4
    updates = [name for name, record in records if set(record) == {"update"}]
    assert "Record the services it replaced" in updates
    for name, record in records:
        if name in updates:
            # A change of some keys of a whole record: documented keys only.
            assert record["update"] and set(record["update"]) <= RECORD_KEYS, name
        else:
            assert set(record) == RECORD_KEYS, name
    installed = dict(records)["Record the installation and the outcome"]
    assert "go_service_result.changed" in installed["changed"]
    docs = (ROOT / "docs" / "playbooks.md").read_text()
    assert "`{status, from, to, reason, changed, files, replaced, drain_seconds}`" in docs


def test_a_reconfigured_host_names_the_files_the_run_wrote():
    files = ["/etc/systemd/system/demo.service", "/etc/demo/demo.env"]
    record = {"status": "deployed", "from": "1.0.0", "to": "1.0.0", "changed": True, "files": files}
    assert rollout_text(record) == "1.0.0 (reconfigured: demo.service, demo.env)"
    assert rollout_text(dict(record, files=[])) == "1.0.0 (reconfigured)"
    assert rollout_text(dict(record, files="not a list")) == "1.0.0 (reconfigured)"
    assert rollout_text(dict(record, changed=False)) == "1.0.0 (unchanged)"
