# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Say why a URL cannot be probed, with the rule the probing modules themselves apply.

The roles check their health, readiness and watchdog URLs before a host is touched, so that a
typo is refused naming the variable, instead of failing ``service_wait`` after a restart (and then
the rollback's own wait, with the same URL). The rule is ``_http.parse_url``, the one
health_check, service_wait and service_probe use: one rule, not a regex that could drift from it.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# The module_utils are imported inside the filters, when one is called: to find any one filter of
# this collection, ansible-core imports every filter file of it, in every worker process of every
# task (docs/benchmarks.md, "Our filters in every worker").


def probe_url_problem(value):
    """The reason ``value`` cannot be probed, or "" when it can (see probe_url_problem.yml)."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._inputs import url_problem

    if not isinstance(value, str):
        raise AnsibleFilterError(f"probe_url_problem: the input must be a string (a URL), got {type(value).__name__}")
    return url_problem(value)


class FilterModule:
    def filters(self):
        return {"probe_url_problem": probe_url_problem}
