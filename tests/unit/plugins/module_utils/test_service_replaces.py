# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One layout rule for a service's paths, and what the role does about the services one replaces.

``service_layout`` is where the go_service role puts a service (its variables read it through the
``service_layout`` filter); ``replaced_service`` reads a service_facts result for an old name of
``go_service_replaces``: whether it is installed and running, what of it the role did not write, and
what its uninstall removes (config files from its snapshot, the account unless the new service shares it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from support import RoleVars

from ansible_collections.gosvc.hardening.plugins.filter.service_ownership import (
    replaced_services,
    service_layout_filter,
)
from ansible_collections.gosvc.hardening.plugins.filter.verify_summary import rollout_text
from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs, _snapshot
from ansible_collections.gosvc.hardening.plugins.module_utils._layout import LAYOUT_KEYS, service_layout
from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import replaced_service

ROLE = Path(__file__).resolve().parents[4] / "roles" / "go_service"
MARKER_UNIT = "/etc/systemd/system/old.service"


def test_the_layout_of_a_service():
    layout = service_layout("app", "/srv/", "/etc/", ["app.yml", "rules/a.yml", "rules/b.yml"])
    assert {key: layout[key] for key in LAYOUT_KEYS} == {
        "unit_name": "app.service",
        "unit": "/etc/systemd/system/app.service",
        "socket": "/etc/systemd/system/app.socket",
        "dropin_dir": "/etc/systemd/system/app.service.d",
        "dropin": "/etc/systemd/system/app.service.d/50-gosvc-overrides.conf",
        "env_dir": "/etc/app",
        "env_file": "/etc/app/app.env",
        "release_root": "/srv/app",
        "health_service": "/etc/systemd/system/app-health.service",
        "health_timer": "/etc/systemd/system/app-health.timer",
        "state_dir": "/var/lib/app",
    }
    assert layout["health_unit"] == "app-health"
    assert layout["config_names"] == ["app.yml", "rules"]
    assert layout["config_files"] == ["/etc/app/app.yml", "/etc/app/rules/a.yml", "/etc/app/rules/b.yml"]
    assert layout["config_paths"] == [
        "/etc/app",
        "/etc/app/app.env",
        "/etc/systemd/system/app.service",
        "/etc/systemd/system/app.service.d",
        "/etc/systemd/system/app.service.d/50-gosvc-overrides.conf",
        "/etc/systemd/system/app.socket",
        *layout["config_files"],
        "/etc/app/rules",
    ]
    assert layout["owned_paths"] == [layout[key] for key in LAYOUT_KEYS[1:]]
    assert layout["account"] == {"home": "/nonexistent", "shell": "/usr/sbin/nologin", "comment": "app service account"}
    assert service_layout("app", account=False)["account"] is None


def test_the_role_s_paths_are_the_layout_s():
    """The role's variables read the one rule: what it writes is where an uninstall of a replaced one looks."""
    role = RoleVars(ROLE)
    given = {"go_service_name": "demo", "go_service_config_files": [{"dest": "d.yml", "content": "x"}]}
    layout = service_layout("demo", config_files=["d.yml"])
    for var, key in [
        ("__go_service_unit_path", "unit"),
        ("__go_service_dropin_path", "dropin"),
        ("__go_service_env_file", "env_file"),
        ("__go_service_release_root", "release_root"),
        ("__go_service_health_timer_path", "health_timer"),
        ("__go_service_owned_paths", "owned_paths"),
        ("__go_service_config_paths", "config_paths"),
        ("__go_service_account_wanted", "account"),
    ]:
        assert role.render("{{ " + var + " }}", **given) == layout[key], var


def test_the_layout_filter_names_a_bad_input():
    assert service_layout_filter("app")["unit_name"] == "app.service"
    with pytest.raises(AnsibleFilterError, match="give a service name"):
        service_layout_filter("")
    with pytest.raises(AnsibleFilterError, match="config_files is a list"):
        service_layout_filter("app", config_files="app.yml")


def _facts(load_state="loaded", active="active", fragment=MARKER_UNIT, marked=True, user="old", group=None,
           snapshot_files=(), exists=None):  # fmt: skip
    """service_facts for the old name ``old``, as preflight reads it."""
    layout = service_layout("old")
    paths = dict.fromkeys(layout["owned_paths"], False)
    paths.update(exists or {})
    if load_state == "loaded":
        paths[layout["unit"]] = True
    return {
        "item": "old",
        "unit": {"load_state": load_state, "active_state": active, "fragment_path": fragment if load_state == "loaded"
                 else None, "user": user, "group": group},
        "release": {"recorded": True, "snapshot_files": list(snapshot_files)},
        "paths": paths,
        "ownership": {"marked": {layout["unit"]: marked}, "entries": {}},
    }  # fmt: skip


def test_a_name_with_nothing_installed_is_nothing_to_do():
    old = replaced_service("old", _facts(load_state="not-found", active="inactive"))
    assert (old["installed"], old["running"], old["foreign"]) == (False, False, [])


def test_only_data_left_is_not_an_installed_service():
    old = replaced_service("old", _facts(load_state="not-found", exists={"/var/lib/old": True}))
    assert old["installed"] is False
    assert replaced_service("old", _facts(load_state="not-found", exists={"/opt/old": True}))["installed"] is True


@pytest.mark.parametrize(("active", "running"), [("active", True), ("activating", True), ("failed", False),
                                                 ("inactive", False)])  # fmt: skip
def test_the_role_s_service_is_replaced_and_stopped_only_when_it_runs(active, running):
    old = replaced_service("old", _facts(active=active))
    assert (old["installed"], old["running"], old["foreign"]) == (True, running, [])
    assert old["unit_name"] == "old.service"


def test_a_replaced_service_with_a_socket_of_its_own_is_said_so():
    assert replaced_service("old", _facts())["socket"] is False
    assert replaced_service("old", _facts(exists={"/etc/systemd/system/old.socket": True}))["socket"] is True


@pytest.mark.parametrize(
    ("socket_activation", "old_socket", "handed_over", "stopped"),
    [
        # Socket to socket: the new socket binds beside the old one (ReusePort=); the old one serves meanwhile.
        (True, True, ["old.service"], []),
        # Any other pair: the old one may hold the port, it stops right before the new one starts.
        (True, False, [], ["old.service"]),
        (False, True, [], ["old.service"]),
        (False, False, [], ["old.service"]),
    ],
)
def test_only_a_socket_is_handed_over_to_a_socket(socket_activation, old_socket, handed_over, stopped):
    facts = _facts(exists={"/etc/systemd/system/old.socket": old_socket})
    values = {
        "go_service_name": "demo",
        "go_service_version": "1.0.0",
        "go_service_replaces": ["old"],
        "go_service_socket_activation": socket_activation,
        "__go_service_replaced_read": {"results": [facts]},
    }
    role = RoleVars(ROLE)
    found = role.render("{{ [__go_service_replaced_handover, __go_service_replaced_to_stop] }}", **values)
    assert [[item["unit_name"] for item in group] for group in found] == [handed_over, stopped]


def test_a_unit_the_role_did_not_write_is_foreign():
    systemd = replaced_service("old", _facts(fragment="/lib/systemd/system/old.service", marked=False))
    assert systemd["foreign"] == [
        "/etc/systemd/system/old.service (not written by gosvc.hardening.go_service)",
        "old.service (a unit of this host already, loaded from /lib/systemd/system/old.service)",
    ]


def test_its_uninstall_takes_the_config_files_of_its_last_healthy_release_and_its_own_account():
    facts = _facts(user="svc-old", group="svc-grp", snapshot_files=[MARKER_UNIT, "/etc/old/old.yml",
                   "/etc/old/rules/a.yml", "/etc/older/x.yml"])  # fmt: skip
    old = replaced_service("old", facts, keep_user="new")
    assert old["layout"]["config_files"] == ["/etc/old/old.yml", "/etc/old/rules/a.yml"]
    assert old["layout"]["config_names"] == ["old.yml", "rules"]
    assert (old["user"], old["group"]) == ("svc-old", "svc-grp")
    assert old["layout"]["account"]["comment"] == "old service account"


def test_the_account_the_new_service_runs_as_is_never_removed():
    old = replaced_service("old", _facts(user="shared"), keep_user="shared")
    assert old["layout"]["account"] is None
    # A unit without User= (gone, or root): the default account, its name.
    assert replaced_service("old", _facts(user=None))["user"] == "old"


def test_the_filter_reads_the_loop_s_results_and_refuses_anything_else():
    assert [s["name"] for s in replaced_services([_facts()], "/opt", "/etc", keep_user="new")] == ["old"]
    with pytest.raises(AnsibleFilterError, match="results of a service_facts loop"):
        replaced_services({"results": []})
    with pytest.raises(AnsibleFilterError, match="read with marker"):
        replaced_services([{"item": "old"}])


@pytest.mark.skipif(os.getuid() != 0, reason="a snapshot is root's")
def test_recorded_files_are_those_the_snapshot_found(tmp_path):
    root = tmp_path / "opt" / "old"
    (root / "releases" / "1.0.0").mkdir(parents=True)
    there = tmp_path / "old.yml"
    there.write_text("a: 1\n")
    _snapshot.record(str(root), "1.0.0", [str(there), str(tmp_path / "missing.yml")])
    assert _snapshot.recorded_files(str(root), "1.0.0") == [str(there)]
    assert _snapshot.recorded_files(str(root), "2.0.0") == []
    assert _snapshot.recorded_files(str(root), None) == []


@pytest.mark.parametrize(
    ("replaces", "said"),
    [
        ("old", 'go_service_replaces "old" must be a list of the names'),
        (["old", "a/b", "x.service"], 'go_service_replaces names "a/b", "x.service": each entry is the'),
        (["demo"], 'go_service_replaces names "demo", the service itself: list only the old names it replaces.'),
        (["old", "old"], "go_service_replaces names old more than once: list each once."),
    ],
)
def test_replaces_names_other_services_of_the_role(replaces, said):
    base = RoleVars(ROLE).render("{{ __go_service_inputs }}", go_service_name="demo", go_service_version="1.0.0")
    base = {**base, "go_service_replaces": replaces}
    found = _inputs.go_service_problems(base, paths_only=True)
    assert [p for p in found if p.startswith("go_service_replaces")] == [p for p in found if said in p] != []
    assert _inputs.go_service_problems({**base, "go_service_state": "absent"}, paths_only=True) == []


def test_the_summary_says_what_a_deploy_replaced():
    record = {"status": "deployed", "from": "", "to": "1.1.2", "changed": True, "files": [], "replaced": ["old"]}
    assert rollout_text(record) == "none -> 1.1.2; replaced old"
    assert rollout_text(dict(record, replaced=[])) == "none -> 1.1.2"
    assert rollout_text(dict(record, replaced="old")) == "none -> 1.1.2"
    assert rollout_text(dict(record, drain_seconds=2.04)) == "none -> 1.1.2; replaced old; drained 2.0 s"
    assert rollout_text(dict(record, drain_seconds="x")) == "none -> 1.1.2; replaced old"
    failed = {"status": "rolled back", "from": "1.0.0", "to": "2.0.0", "drain_seconds": 1.5}
    assert rollout_text(failed) == "2.0.0 failed, rolled back to 1.0.0; drained 1.5 s"
