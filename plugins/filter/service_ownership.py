# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Say what of a service's files on a host the go_service role wrote, from what service_facts read.

The go_service role installs only where nothing of anyone else is in its way, and uninstalls only what
it wrote: the rule is ``_service_facts.claims``, one Python function with unit tests, not a chain of
template conditions in the role.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import claims


def service_ownership(facts, layout, health_watchdog=False, purge_data=False):
    """``{foreign, remove, left, unit_ours}`` for ``layout`` on the host ``facts`` describes."""
    if not isinstance(facts, dict) or not isinstance(layout, dict):
        raise AnsibleFilterError("service_ownership: give the service_facts result and a layout mapping")
    if facts.get("ownership") is None:
        raise AnsibleFilterError(
            "service_ownership: the service_facts result has no ownership: read the host with marker set"
        )
    try:
        return claims(facts, layout, health_watchdog=bool(health_watchdog), purge_data=bool(purge_data))
    except ValueError as exc:
        raise AnsibleFilterError(f"service_ownership: {exc}") from None


class FilterModule:
    def filters(self):
        return {"service_ownership": service_ownership}
