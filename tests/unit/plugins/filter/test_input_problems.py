# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The go_service_input_problems and verify_input_problems filters, and the rules they share with others."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.filter.go_service_input_problems import (
    FilterModule as GoServiceFilters,
)
from ansible_collections.gosvc.hardening.plugins.filter.go_service_input_problems import go_service_input_problems
from ansible_collections.gosvc.hardening.plugins.filter.probe_url_problem import probe_url_problem
from ansible_collections.gosvc.hardening.plugins.filter.systemd_exec_arg import systemd_exec_arg
from ansible_collections.gosvc.hardening.plugins.filter.verify_input_problems import FilterModule as VerifyFilters
from ansible_collections.gosvc.hardening.plugins.filter.verify_input_problems import verify_input_problems
from ansible_collections.gosvc.hardening.plugins.module_utils import _inputs


def test_the_filters_are_registered():
    assert GoServiceFilters().filters() == {"go_service_input_problems": go_service_input_problems}
    assert VerifyFilters().filters() == {"verify_input_problems": verify_input_problems}


@pytest.mark.parametrize("value", [None, "x", ["go_service_name"]])
def test_an_input_that_is_not_a_mapping_fails_the_task(value):
    with pytest.raises(AnsibleFilterError, match="go_service_input_problems: the input must map"):
        go_service_input_problems(value)
    with pytest.raises(AnsibleFilterError, match="verify_input_problems: the input must map"):
        verify_input_problems(value, [])


def test_a_missing_variable_is_named():
    with pytest.raises(AnsibleFilterError, match=r"go_service_input_problems: the input lacks go_service_name$"):
        go_service_input_problems({})
    with pytest.raises(AnsibleFilterError, match=r"verify_input_problems: the input lacks verify_health_url$"):
        verify_input_problems({}, [])


def test_paths_only_reaches_the_rules():
    inputs = {"go_service_state": "present", "go_service_name": "a/b", "go_service_base_dir": "/opt",
              "go_service_config_dir": "/etc", "go_service_replaces": []}  # fmt: skip
    found = go_service_input_problems(inputs, paths_only=True)
    assert len(found) == 1 and found[0].startswith('go_service_name "a/b" names the unit')


ARGS = ["x", "", 8080, 2.5, True, b"b", "a\nb", None, [1], {"a": 1}, {1}, (1,), "nul\x00", b"nul\x00"]


@pytest.mark.parametrize("arg", ARGS)
def test_the_input_check_refuses_exactly_the_arguments_systemd_exec_arg_refuses(arg):
    try:
        systemd_exec_arg(arg)
        refused = ""
    except AnsibleFilterError as exc:
        refused = str(exc)
    assert refused == (f"systemd_exec_arg: {_inputs.exec_arg_problem(arg)}" if refused else "")
    assert bool(_inputs.exec_arg_problem(arg)) == bool(refused)


URLS = ["", "not a url", "http://127.0.0.1:8080/h", "http:///h", "http://h:99999/", "http+unix://%2Frun%2Fa.sock/h"]


@pytest.mark.parametrize("url", URLS)
def test_url_problems_agree_with_probe_url_problem(url):
    assert _inputs.url_problem(url) == probe_url_problem(url)
