# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.service_facts: the run's lease (``lease``) named from the controller.

When the task asks for the lease, its run id and holder come from the run's ansible-playbook process, and a lease
held by a run of this controller that has ended is taken over at once (plugin_utils/_run_identity.py). Without
``lease`` the module runs as given.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.plugin_utils._run_identity import execute_leased


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp

        def execute(module_args):
            return self._execute_module(
                module_name="gosvc.hardening.service_facts", module_args=module_args, task_vars=task_vars
            )

        result.update(execute_leased(execute, dict(self._task.args), key="lease"))
        return result
