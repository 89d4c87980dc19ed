# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every problem with the go_service role's inputs, before any host is asked.

The rules are ``module_utils/_inputs.py`` (``go_service_problems``); this filter is how the role
calls them on the controller (``__go_service_input_problems`` in roles/go_service/vars/main.yml).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The module_utils are imported inside the filters, when one is called: to find any one filter of
# this collection, ansible-core imports every filter file of it, in every worker process of every
# task (docs/benchmarks.md, "Our filters in every worker").


def go_service_input_problems(inputs, paths_only=False, given=None):
    """The problems with ``inputs``, and with the names in ``given`` that are not the role's variables
    (see go_service_input_problems.yml)."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._inputs import (
        go_service_problems,
        unknown_variable_problems,
    )
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._role_specs import role_options

    if not isinstance(inputs, Mapping):
        raise AnsibleFilterError(
            "go_service_input_problems: the input must map go_service_* variables to values,"
            f" got {type(inputs).__name__}"
        )
    try:
        problems = go_service_problems(inputs, paths_only=bool(paths_only))
    except KeyError as exc:
        raise AnsibleFilterError(f"go_service_input_problems: the input lacks {exc.args[0]}") from None
    if given:
        problems += unknown_variable_problems([str(name) for name in given], role_options("go_service"), "go_service")
    return problems


class FilterModule:
    def filters(self):
        return {"go_service_input_problems": go_service_input_problems}
