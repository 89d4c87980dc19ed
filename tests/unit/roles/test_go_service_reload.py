# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reload or restart: the role's decision (roles/go_service/vars/main.yml) from what service_config changed.

A run that changed only config files of a service with go_service_reload_signal reloads it; anything the
process reads only when it starts (release, unit, drop-in, socket, environment) restarts it. Also: which
other socket units on the service's address preflight refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import RoleVars

ROLE = Path(__file__).resolve().parents[3] / "roles" / "go_service"
DECISION = "{{ [__go_service_reload_needed | bool, __go_service_restart_needed | bool] }}"


def _files(**changed):
    """service_config's files: each key with whether its content (True) or only its mode ('mode') changed."""
    return {
        key.replace("config_", "config:/etc/demo/"): {
            "path": f"/etc/{key}",
            "changed": True,
            "content_changed": how is True,
        }
        for key, how in changed.items()
    }


@pytest.fixture(scope="module")
def role():
    return RoleVars(ROLE)


def decide(role, files, signal="SIGHUP", switched=False, active="active", need_daemon_reload=False):
    return role.render(
        DECISION,
        go_service_name="demo",
        go_service_version="1.0.0",
        go_service_reload_signal=signal,
        __go_service_release={"switched": switched},
        __go_service_config={"content_changed": any(f["content_changed"] for f in files.values()), "files": files},
        __go_service_facts={"unit": {"active_state": active, "need_daemon_reload": need_daemon_reload}},
    )


@pytest.mark.parametrize(
    ("changes", "options", "expected"),
    [
        # Only config files the running service re-reads: a reload.
        ({"config_app_yml": True}, {}, [True, False]),
        ({"config_app_yml": True, "config_tls_pem": True}, {}, [True, False]),
        # Read only when the process starts: a restart.
        ({"config_app_yml": True, "env": True}, {}, [False, True]),
        ({"unit": True}, {}, [False, True]),
        ({"socket": True}, {}, [False, True]),
        ({"config_app_yml": True}, {"switched": True}, [False, True]),
        # The service cannot reload, or is not running, or systemd has an older unit loaded: a restart.
        ({"config_app_yml": True}, {"signal": ""}, [False, True]),
        ({"config_app_yml": True}, {"active": "failed"}, [False, True]),
        ({"config_app_yml": True}, {"need_daemon_reload": True}, [False, True]),
        # A mode put right changes nothing the service reads: neither.
        ({"config_app_yml": "mode"}, {}, [False, False]),
        ({}, {}, [False, False]),
    ],
)
def test_reload_or_restart(role, changes, options, expected):
    assert decide(role, _files(**changes), **options) == expected


def test_the_socket_of_a_replaced_service_is_no_stranger_on_the_address(role):
    peers = [
        {"listen": "127.0.0.1:80", "unit": "old.socket", "activates": "old.service"},
        {"listen": "[::]:80", "unit": "web.socket", "activates": "web.service"},
    ]
    strangers = role.render(
        "{{ __go_service_socket_strangers | map(attribute='unit') | list }}",
        go_service_name="demo",
        go_service_version="1.0.0",
        go_service_replaces=["old"],
        __go_service_facts={"socket_peers": peers},
    )
    assert strangers == ["web.socket"]


@pytest.mark.parametrize(
    ("predates", "state", "expected"),
    [
        # current is already 1.0.0 and nothing changed, but the process started before current was switched: a
        # run was stopped between its switch and its restart; this one restarts it.
        (True, "present", True),
        (False, "present", False),
        # No process, or no current: nothing to compare (a stopped unit is started anyway).
        (None, "present", False),
        (True, "absent", False),
    ],
)
def test_a_process_older_than_the_switch_of_current_is_restarted(role, predates, state, expected):
    restart = role.render(
        "{{ __go_service_restart_needed | bool }}",
        go_service_name="demo",
        go_service_version="1.0.0",
        go_service_state=state,
        go_service_reload_signal="",
        __go_service_release={"switched": False},
        __go_service_config={"content_changed": False, "files": {}},
        __go_service_facts={
            "unit": {"active_state": "active", "need_daemon_reload": False},
            "release": {"current": "1.0.0", "process_predates_switch": predates},
        },
    )
    assert restart is expected


def test_a_host_without_a_release_tree_is_no_stale_process(role):
    restart = role.render(
        "{{ __go_service_restart_needed | bool }}",
        go_service_name="demo",
        go_service_version="1.0.0",
        go_service_reload_signal="",
        __go_service_release={"switched": False},
        __go_service_config={"content_changed": False, "files": {}},
        __go_service_facts={"unit": None, "release": None},
    )
    assert restart is False
