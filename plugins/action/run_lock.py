# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.run_lock: the run's id and holder from the controller, then the module.

Each task runs in a worker process of the run's ansible-playbook process; the worker's parent (its PID and start
time) identifies the run for every task and host of it, and tells whether a run that holds the lease was killed
(plugin_utils/_run_identity.py).
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.plugin_utils._run_identity import run_leased_action


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        result.update(run_leased_action(self, task_vars, "gosvc.hardening.run_lock"))
        return result
