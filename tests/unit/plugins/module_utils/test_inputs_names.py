# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The input-problem filters refuse go_service_* and verify_* variables the roles' argument specs do not
declare (a typo would be ignored and its default used), and take every one they declare."""

from __future__ import annotations

from pathlib import Path

import yaml
from test_inputs import CHECKS, VERIFY

from ansible_collections.gosvc.hardening.plugins.filter.go_service_input_problems import go_service_input_problems
from ansible_collections.gosvc.hardening.plugins.filter.verify_input_problems import verify_input_problems
from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs
from ansible_collections.gosvc.hardening.plugins.plugin_utils._role_specs import role_options

ROOT = Path(__file__).resolve().parents[4]


def declared(role):
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return {name for entry in specs.values() for name in entry.get("options") or {}}


def test_the_options_are_every_entry_point_s():
    assert role_options("go_service") == declared("go_service")
    assert "go_service_rollback_version" in role_options("go_service")  # the rollback_release entry point
    assert role_options("verify") == declared("verify")


def test_every_default_of_a_role_is_a_declared_option():
    for role in ("go_service", "verify"):
        defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
        assert set(defaults) <= role_options(role), role


def test_the_verify_filter_names_a_misspelled_variable():
    problems = verify_input_problems(VERIFY, CHECKS, given=[*sorted(declared("verify")), "verify_helth_url"])
    assert problems == [
        "verify_helth_url is not a variable of gosvc.hardening.verify (a misspelled name would be ignored and its"
        " default used): did you mean verify_health_url?"
    ]


def test_the_verify_filter_takes_every_declared_name():
    assert verify_input_problems(VERIFY, CHECKS, given=sorted(declared("verify"))) == []


def test_the_go_service_filter_names_a_misspelled_variable(role_inputs):
    given = [*sorted(declared("go_service")), "go_service_helth_url"]
    assert go_service_input_problems(role_inputs, given=given) == [
        "go_service_helth_url is not a variable of gosvc.hardening.go_service (a misspelled name would be ignored"
        " and its default used): did you mean go_service_health_url?"
    ]
    assert go_service_input_problems(role_inputs, given=sorted(declared("go_service"))) == []


def test_the_collection_sets_no_role_prefixed_variable_it_would_refuse():
    """A name the collection (or a scenario) registers or sets must be an option or a published output:
    preflight refuses every other go_service_* and verify_* name, and a later run in the same play sees it."""
    known = declared("go_service") | declared("verify") | set(_inputs.ROLE_OUTPUTS)
    files = [
        *(ROOT / "roles").glob("*/tasks/*.yml"),
        *(ROOT / "playbooks").glob("*.yml"),
        *(ROOT / "molecule").glob("*/*.yml"),  # the scenarios run the roles again in the same plays
        *(ROOT / "demo").glob("*.yml"),
    ]
    set_here = set()
    for path in files:
        for task in _tasks(yaml.safe_load(path.read_text()) or []):
            if str(task.get("register", "")).startswith(("go_service_", "verify_")):
                set_here.add(task["register"])
            for action in ("ansible.builtin.set_fact", "set_fact"):
                for name in task.get(action) or {}:
                    if str(name).startswith(("go_service_", "verify_")):
                        set_here.add(name)
    assert set_here and set_here <= known, sorted(set_here - known)


def _tasks(items):
    """Every task of a task list or play list, blocks and their rescue/always included."""
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        yield item
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            yield from _tasks(item.get(key))
