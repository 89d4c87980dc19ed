# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.service_config: no round trip when nothing would change.

The role's preflight (gosvc.hardening.service_facts) has already described the unit, the drop-in,
the environment file and their directories: type, owner, group, mode and an HMAC of each file's
content under a key the controller keeps. When the files this task would write are exactly those,
the module would plan no change; the task then reports that result without running it
(``compared_on: controller``). Otherwise the module runs on the host and compares, verifies and
writes as usual. The decision is ``_service_config.unchanged``, the same layout the module plans.

A config file given by ``src`` is read here, on the controller (found like ansible.builtin.copy's ``src``,
vault-encrypted files decrypted), and sent as its content; one marked ``secret`` as ``secret_content``.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.gosvc.hardening.plugins.module_utils._service_config import (
    ARGUMENT_SPEC,
    CONTROLLER_ONLY,
    ConfigError,
    host_entries,
    layout,
    unchanged,
    unchanged_result,
)

MODULE = "gosvc.hardening.service_config"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del validation
        try:
            params["config_files"] = host_entries(params["config_files"], self._read_src)
            files, dirs = layout(params)
        except (ConfigError, AnsibleError) as exc:
            raise AnsibleActionFail(f"service_config: {exc}") from exc
        if unchanged(files, dirs, params["known_files"], params["digest_key"]):
            result.update(unchanged_result(files), compared_on="controller")
            return result
        module_args = {k: v for k, v in self._task.args.items() if k not in CONTROLLER_ONLY}
        module_args["config_files"] = params["config_files"]
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        return result

    def _read_src(self, src):
        """A config file's ``src``, looked up like ansible.builtin.copy's (the role's or play's files/)."""
        path = self._find_needle("files", src)
        with open(self._loader.get_real_file(path, decrypt=True), "rb") as handle:
            return handle.read()
