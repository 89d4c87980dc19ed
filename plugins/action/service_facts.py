# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.service_facts: the run's lease (``lease``) named from the controller.

When the task asks for the lease, its run id and holder come from the run's ansible-playbook process, and a lease
held by a run of this controller that has ended is taken over at once (plugin_utils/_run_identity.py). Without
``lease`` the module runs as given.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.plugin_utils._run_identity import run_leased_action


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        result.update(run_leased_action(self, task_vars, "gosvc.hardening.service_facts", key="lease"))
        return result
