# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every unusable setting of the verify role, before anything is installed or probed.

The rules are ``module_utils/_inputs.py`` (``verify_problems``, over service_probe's own key
lists and forbidden-URL rule); this filter is how the role calls them on the controller
(``__verify_setting_problems`` in roles/verify/vars/main.yml).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The module_utils are imported inside the filters, when one is called: to find any one filter of
# this collection, ansible-core imports every filter file of it, in every worker process of every
# task (docs/benchmarks.md, "Our filters in every worker").


def verify_input_problems(inputs, checks, given=None):
    """The problems with ``inputs``, and with the names in ``given`` that are not the role's variables;
    ``checks`` are the report's check names (see verify_input_problems.yml)."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._inputs import (
        unknown_variable_problems,
        verify_problems,
    )
    from ansible_collections.gosvc.hardening.plugins.plugin_utils._role_specs import role_options

    if not isinstance(inputs, Mapping):
        raise AnsibleFilterError(
            f"verify_input_problems: the input must map verify_* variables to values, got {type(inputs).__name__}"
        )
    try:
        problems = verify_problems(inputs, [str(check) for check in checks])
    except KeyError as exc:
        raise AnsibleFilterError(f"verify_input_problems: the input lacks {exc.args[0]}") from None
    if given:
        problems += unknown_variable_problems([str(name) for name in given], role_options("verify"), "verify")
    return problems


class FilterModule:
    def filters(self):
        return {"verify_input_problems": verify_input_problems}
