# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""go_service_config_files in preflight: every problem named, before any host is asked.

The dest, mode and validate rules are service_config's own (module_utils/_service_config.py); preflight
calls them, so a refusal here and on the host read the same.
"""

from __future__ import annotations

import pytest

from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs

GOOD_FILE = {"dest": "alertmanager.yml", "content": "route: {}\n", "validate": "amtool check-config %s"}


@pytest.fixture
def problems(role_inputs):
    def found(files):
        return [
            p
            for p in _inputs.go_service_problems({**role_inputs, "go_service_config_files": files})
            if "go_service_config_files" in p
        ]

    return found


def test_good_entries_pass(problems, role_inputs):
    assert problems([GOOD_FILE, {"dest": "rules/a.yml", "src": "files/a.yml", "secret": True, "mode": "0600"}]) == []
    assert problems([]) == []


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"dest": "../x", "content": "1"}, "[0]: dest '../x' must be a path relative"),
        ({"dest": "x", "content": "1", "mode": "0646"}, "[0]: mode '0646' must be an octal string"),
        ({"dest": "x", "content": "1", "mode": 640}, "[0]: mode 640 must be an octal string"),
        ({"dest": "x"}, "[0] needs exactly one of content (the text) and src"),
        ({"dest": "x", "content": "1", "src": "y"}, "[0] needs exactly one of content"),
        ({"dest": "x", "content": ["a"]}, "[0] content must be text"),
        ({"dest": "x", "content": "1", "validate": "amtool check-config"}, "must hold %s"),
        ({"dest": "x", "content": "1", "owner": "root"}, "[0] has owner: not a key of a config file"),
        ("alertmanager.yml", "[0] must be a mapping with dest and content"),
    ],
)
def test_each_bad_entry_is_named_with_its_fix(problems, entry, words):
    (problem,) = problems([entry])
    assert words in problem, problem


def test_the_environment_file_name_and_a_repeated_dest_are_refused(problems, role_inputs):
    env_name = f"{role_inputs['go_service_name']}.env"
    found = problems([{"dest": env_name, "content": "1"}, GOOD_FILE, GOOD_FILE])
    assert any("is the environment file" in p for p in found)
    assert any("names alertmanager.yml more than once" in p for p in found)


def test_a_mapping_instead_of_a_list_is_refused(problems):
    assert problems({"alertmanager.yml": "x"}) == [
        'go_service_config_files must be a list of files, not {"alertmanager.yml": "x"}.'
    ]


@pytest.mark.parametrize(
    ("families", "words"),
    [
        ([], "must be a non-empty list"),
        ("AF_INET AF_UNIX", "must be a non-empty list"),
        (["AF_INET", "inet6", "AF_UNIX"], "must be a non-empty list"),
        (["AF_INET", "AF_NETLINK"], "must keep AF_UNIX"),
    ],
)
def test_address_families_are_names_and_keep_unix(role_inputs, families, words):
    found = [
        p
        for p in _inputs.go_service_problems({**role_inputs, "go_service_address_families": families})
        if p.startswith("go_service_address_families")
    ]
    assert len(found) == 1 and words in found[0], found


def test_netlink_may_be_added(role_inputs):
    families = ["AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"]
    found = _inputs.go_service_problems({**role_inputs, "go_service_address_families": families})
    assert [p for p in found if "address_families" in p] == []
