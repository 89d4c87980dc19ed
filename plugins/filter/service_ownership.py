# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Say what of a service's files on a host the go_service role wrote, from what service_facts read.

The go_service role installs only where nothing of anyone else is in its way, and uninstalls only what
it wrote: the rule is ``_service_facts.claims``, one Python function with unit tests, not a chain of
template conditions in the role.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# The module_utils are imported inside the filters, when one is called: to find any one filter of
# this collection, ansible-core imports every filter file of it, in every worker process of every
# task (docs/benchmarks.md, "Our filters in every worker").


def service_ownership(facts, layout, health_watchdog=False, purge_data=False):
    """``{foreign, remove, left, unit_ours}`` for ``layout`` on the host ``facts`` describes."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import claims

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


def service_layout_filter(name, base_dir="/opt", config_dir="/etc", config_files=(), account=True):
    """``_layout.service_layout``: where the go_service role puts service ``name``."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._layout import service_layout

    if not isinstance(name, str) or not name:
        raise AnsibleFilterError(f"service_layout: give a service name, not {name!r}")
    if isinstance(config_files, (str, bytes)) or not all(isinstance(dest, str) for dest in config_files):
        raise AnsibleFilterError("service_layout: config_files is a list of destinations relative to env_dir")
    return service_layout(name, str(base_dir), str(config_dir), list(config_files), bool(account))


def replaced_services(results, base_dir="/opt", config_dir="/etc", keep_user=None):
    """``_service_facts.replaced_service`` for each result of a service_facts loop over the replaced names."""
    from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import replaced_service

    if not isinstance(results, list):
        raise AnsibleFilterError("replaced_services: give the results of a service_facts loop over the names")
    services = []
    for result in results:
        if not isinstance(result, dict) or result.get("ownership") is None or "item" not in result:
            raise AnsibleFilterError("replaced_services: each result is service_facts' for one name, read with marker")
        services.append(replaced_service(str(result["item"]), result, str(base_dir), str(config_dir), keep_user))
    return services


class FilterModule:
    def filters(self):
        return {
            "service_ownership": service_ownership,
            "service_layout": service_layout_filter,
            "replaced_services": replaced_services,
        }
