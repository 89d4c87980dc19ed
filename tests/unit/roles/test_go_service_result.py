# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_service_result: the outcome go_service publishes, from the run's registered results.

The role's own variables (roles/go_service/vars/main.yml) are rendered with the
results a run registers (service_facts, service_config, go_release, the
start) and, after a failure, with what Ansible hands a rescue
(``ansible_failed_task``, ``ansible_failed_result``). Molecule proves the same
statuses on real hosts (the faults and fleet scenarios).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RoleVars

ROLE = Path(__file__).resolve().parents[3] / "roles" / "go_service"

#: What the start of a run (tasks/inputs.yml) resets, i.e. a run that changed nothing yet.
START = {
    "go_service_name": "demo",
    "go_service_version": "2.0.0",
    "go_service_binary_src": "/srv/dist/demo",
    "go_service_checksum": "sha256:" + "0" * 64,
    "__go_service_facts": {},
    "__go_service_uninstall_read": {},
    "__go_service_replaced_read": {},
    "__go_service_replaced_stopped": {},
    "__go_service_replaced_done": [],
    "__go_service_account": {},
    "__go_service_config": {},
    "__go_service_release": {},
    "__go_service_started": {},
    "__go_service_reloaded": {},
    "__go_service_health_units": {},
    "__go_service_stopped": {},
    "__go_service_removed": {},
    "__go_service_user_removed": {},
    "__go_service_group_removed": {},
    "__go_service_rollback_restarted": {},
    "__go_service_rolling_back": False,
    "__go_service_outcome": {},
}
CHANGED = {"changed": True}


def host(current, n_restarts=0, active_state="active"):
    """service_facts as preflight registers it: the release record, the unit's state and restart count."""
    return {"release": {"current": current}, "unit": {"n_restarts": n_restarts, "active_state": active_state}}


def failed_task(*tags, name="Some task"):
    return {"ansible_failed_task": {"name": name, "tags": list(tags)}}


@pytest.fixture(scope="module")
def role_vars():
    return RoleVars(ROLE)


@pytest.fixture
def result(role_vars):
    def render(name, **changes):
        out = role_vars.render("{{ " + name + " }}", **{**START, **changes})
        assert isinstance(out, dict), out
        return out

    return render


@pytest.mark.parametrize(
    ("changes", "status", "source"),
    [
        ({"__go_service_facts": host("2.0.0")}, "unchanged", "2.0.0"),
        ({"__go_service_facts": host(None), "__go_service_release": CHANGED}, "installed", ""),
        ({"__go_service_facts": host("1.0.0"), "__go_service_release": CHANGED}, "upgraded", "1.0.0"),
        # Same version, new configuration: an upgrade of the configuration, from == to.
        ({"__go_service_facts": host("2.0.0"), "__go_service_config": CHANGED}, "upgraded", "2.0.0"),
        ({"__go_service_facts": host("1.0.0"), "__go_service_account": CHANGED}, "upgraded", "1.0.0"),
        ({"__go_service_facts": host("2.0.0"), "__go_service_health_units": CHANGED}, "upgraded", "2.0.0"),
    ],
)  # fmt: skip
def test_a_successful_run_says_what_it_did(result, changes, status, source):
    out = result("__go_service_result_ok", **changes)
    assert out["status"] == status
    assert (out["from"], out["to"], out["phase"], out["reason"]) == (source, "2.0.0", "", "")
    assert out["changed"] is (status != "unchanged")


def test_a_process_this_run_or_systemd_restarted_is_not_the_one_verified_before(result):
    assert result("__go_service_result_ok", __go_service_facts=host("2.0.0"))["process_unchanged"] is True
    restarted = result("__go_service_result_ok", __go_service_facts=host("2.0.0"), __go_service_started=CHANGED)
    assert (restarted["process_unchanged"], restarted["restarted"]) == (False, True)
    # Reloaded (go_service_reload_signal): the same process, but running with what it re-read.
    reloaded = result("__go_service_result_ok", __go_service_facts=host("2.0.0"), __go_service_reloaded=CHANGED)
    assert (reloaded["process_unchanged"], reloaded["restarted"], reloaded["reloaded"]) == (False, False, True)
    by_systemd = result("__go_service_result_ok", __go_service_facts=host("2.0.0", n_restarts=2))
    assert (by_systemd["process_unchanged"], by_systemd["restarted"]) == (False, False)
    # Not read (a run limited by tags, say): not known to be the same process.
    assert result("__go_service_result_ok", __go_service_facts={})["process_unchanged"] is False


def test_an_uninstall_says_removed_only_when_it_removed_something(result):
    gone = result("__go_service_result_ok", go_service_state="absent", __go_service_facts=host("2.0.0"),
                  __go_service_removed=CHANGED)  # fmt: skip
    assert (gone["status"], gone["from"], gone["to"], gone["changed"]) == ("removed", "2.0.0", "", True)
    nothing = result("__go_service_result_ok", go_service_state="absent", __go_service_facts=host(None))
    assert (nothing["status"], nothing["changed"]) == ("unchanged", False)


def test_the_backups_to_commit_are_the_replaced_files(result):
    config = {"changed": True, "backups": [{"dest": "/etc/demo/demo.env", "backup_file": "/etc/demo/demo.env.1~"}]}
    out = result("__go_service_result_ok", __go_service_facts=host("1.0.0"), __go_service_config=config)
    assert out["backups"] == ["/etc/demo/demo.env"]
    assert result("__go_service_result_ok", __go_service_facts=host("1.0.0"))["backups"] == []


@pytest.mark.parametrize(
    ("tags", "phase"),
    [
        # The input check carries its import's tag too; inputs wins.
        (("go_service_preflight", "always", "go_service_inputs"), "inputs"),
        (("go_service_artifact",), "artifact"),
        (("go_service_preflight",), "preflight"),
    ],
)
def test_a_failure_before_the_host_was_changed_is_refused(result, tags, phase):
    out = result(
        "__go_service_result_failed",
        __go_service_facts=host("1.0.0") if phase == "preflight" else {},
        ansible_failed_result={"msg": "exporter 4.0.0 needs GLIBC_2.34; this host has glibc 2.31"},
        **failed_task(*tags),
    )
    assert (out["status"], out["phase"], out["changed"]) == ("refused", phase, False)
    # A module's own message gets the role's prefix; the release before is known once preflight read it.
    assert out["reason"] == "go_service: exporter 4.0.0 needs GLIBC_2.34; this host has glibc 2.31"
    assert out["from"] == ("1.0.0" if phase == "preflight" else None)


def test_an_uninstall_that_fails_is_failed_in_phase_absent(result):
    out = result(
        "__go_service_result_failed",
        go_service_state="absent",
        __go_service_facts=host("2.0.0"),
        __go_service_stopped=CHANGED,
        ansible_failed_result={"msg": "go_service: could not remove /opt/demo"},
        **failed_task("go_service_absent"),
    )
    assert (out["status"], out["phase"], out["changed"], out["reason"]) == (
        "failed",
        "absent",
        True,
        "go_service: could not remove /opt/demo",
    )


def test_the_outcome_rollback_settled_is_published_as_it_is(result):
    outcome = {"status": "rolled_back", "phase": "service", "changed": True, "reason": "go_service: ...; rolled back"}
    out = result(
        "__go_service_result_failed",
        __go_service_facts=host("1.0.0"),
        __go_service_outcome=outcome,
        __go_service_rollback_restarted=CHANGED,
        ansible_failed_result={"msg": outcome["reason"]},
        **failed_task("always"),
    )
    assert {k: out[k] for k in outcome} == outcome
    assert (out["from"], out["to"], out["restarted"]) == ("1.0.0", "2.0.0", True)


def test_a_rollback_that_fails_itself_is_failed_in_phase_rollback_naming_both_failures(result):
    out = result(
        "__go_service_result_failed",
        __go_service_facts=host("1.0.0"),
        __go_service_release=CHANGED,
        __go_service_rolling_back=True,
        __go_service_failure="Wait until the service is active, healthy and ready: not ready",
        __go_service_rolled_back_to="1.0.0",
        ansible_failed_result={"msg": "unit demo.service failed"},
        **failed_task(name="Wait until active, healthy and ready again"),
    )
    assert (out["status"], out["phase"], out["changed"]) == ("failed", "rollback", True)
    assert out["reason"] == (
        "go_service: demo 2.0.0 failed at Wait until the service is active, healthy and ready: not ready; the"
        " rollback to 1.0.0 failed too, at Wait until active, healthy and ready again: unit demo.service failed"
    )


@pytest.mark.parametrize(
    ("changes", "plan", "target"),
    [
        # Nothing written, switched or due for a restart: nothing to undo.
        ({"__go_service_facts": host("1.0.0")}, "none", "1.0.0"),
        ({"__go_service_facts": host("1.0.0"), "go_service_rollback_on_failure": False,
          "__go_service_release": {"changed": True, "switched": True, "previous_version": "1.0.0"}}, "none", "1.0.0"),
        ({"__go_service_facts": host(None), "__go_service_release": {"changed": True, "switched": True}},
         "first_switched", ""),
        ({"__go_service_facts": host(None), "__go_service_config": {"changed": True, "content_changed": True}},
         "first_config", ""),
        # After a switch the target is go_release's previous release, not what preflight read.
        ({"__go_service_facts": host("1.0.0"),
          "__go_service_release": {"changed": True, "switched": True, "previous_version": "0.9.0"}},
         "release", "0.9.0"),
        # Files written, the service not touched yet (a later write failed): put the files back, no restart.
        ({"__go_service_facts": host("1.0.0"), "__go_service_config": {"changed": True, "content_changed": True}},
         "config", "1.0.0"),
        # Once the run restarted or reloaded it, the service must go back too.
        ({"__go_service_facts": host("1.0.0"), "__go_service_config": {"changed": True, "content_changed": True},
          "__go_service_started": {"changed": True}}, "release", "1.0.0"),
        ({"__go_service_facts": host("1.0.0"), "__go_service_config": {"changed": True, "content_changed": True},
          "__go_service_reloaded": {"changed": True}}, "release", "1.0.0"),
        ({"__go_service_facts": host("1.0.0"), "__go_service_config": {"changed": True, "content_changed": True},
          "__go_service_started": {"changed": False, "skipped": True}}, "config", "1.0.0"),
        # The service was not running before the run: nothing healthy to restart.
        ({"__go_service_facts": host("1.0.0", active_state="failed"),
          "__go_service_config": {"changed": True, "content_changed": True}}, "stopped_before", "1.0.0"),
        ({"__go_service_facts": host("1.0.0", active_state="activating"),
          "__go_service_release": {"changed": True, "switched": True, "previous_version": "1.0.0"}},
         "stopped_before", "1.0.0"),
        ({"__go_service_facts": host("1.0.0", active_state="inactive"),
          "__go_service_config": {"changed": True, "content_changed": True}}, "stopped_before", "1.0.0"),
    ],
)  # fmt: skip
def test_the_rollback_plan_undoes_exactly_what_the_run_changed(role_vars, changes, plan, target):
    assert role_vars.render("{{ __go_service_rollback_plan_now }}", **{**START, **changes}) == plan
    assert role_vars.render("{{ __go_service_rollback_target }}", **{**START, **changes}) == target


@pytest.mark.parametrize(
    ("failed_result", "missing"),
    [
        # What ansible-core returns when the interpreter is not on the host.
        ({"rc": 127, "msg": "The module interpreter '/usr/bin/python3' was not found.",
          "module_stderr": "/bin/sh: 1: /usr/bin/python3: not found\n"}, True),
        ({"msg": "The module interpreter '/usr/local/bin/python3.12' was not found."}, True),
        # service_facts' own refusals, one of them naming a binary's program interpreter.
        ({"msg": "service_facts: exporter 4.0.0 needs the program interpreter /lib/ld-musl-x86_64.so.1, which this"
                 " x86_64 host does not have: install the musl runtime. Nothing on the host was changed."}, False),
        ({"rc": 1, "msg": "MODULE FAILURE"}, False),
        # become with sudo on a host without it: the shell's rc 127 too, but not for Python.
        ({"rc": 127, "msg": "Module result deserialization failed: No start of json char found",
          "module_stderr": "/bin/sh: 1: sudo: not found\n"}, False),
        ({}, False),
    ],
)  # fmt: skip
def test_only_a_missing_python_is_reported_as_one(role_vars, failed_result, missing):
    rendered = role_vars.render("{{ __go_service_python_missing | bool }}", ansible_failed_result=failed_result)
    assert rendered == missing


def test_a_module_that_cannot_start_is_refused_with_what_the_shell_said(role_vars):
    failed = {"rc": 127, "msg": "Module result deserialization failed: No start of json char found",
              "module_stderr": "/bin/sh: 1: sudo: not found\n"}  # fmt: skip
    rendered = role_vars.render("{{ __go_service_preflight_failure }}", ansible_failed_result=failed)
    assert rendered == "Module result deserialization failed: No start of json char found: /bin/sh: 1: sudo: not found"
    python = {"msg": "The module interpreter '/usr/bin/python3' was not found.", "rc": 127,
              "module_stderr": "/bin/sh: 1: /usr/bin/python3: not found\n"}  # fmt: skip
    rendered = role_vars.render(
        "{{ __go_service_preflight_failure }}", ansible_failed_result=python, inventory_hostname="h1"
    )
    assert rendered.startswith("go_service: h1 has no Python for the collection's modules (The module interpreter")
    refused = {"msg": "service_facts: PID 1 of this host is 'sleep', not systemd. Nothing on the host was changed."}
    assert role_vars.render("{{ __go_service_preflight_failure }}", ansible_failed_result=refused) == refused["msg"]
