# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for gosvc.hardening.go_release: upload the verified binary and install it in one task.

With ``local_src`` (a file on the controller) the binary goes to the task's remote temporary
directory and the module installs it from there (it verifies the digest before anything is
created, hard-links or copies it into the release and switches ``current``); the temporary
directory is removed afterwards. That is one upload and one module run where a ``file`` task for
the staging area, a ``copy`` and the module took eleven transport operations. Without
``local_src`` the module runs as is (``src`` already on the host, or a release already
installed).
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

MODULE = "gosvc.hardening.go_release"


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        local_src = args.pop("local_src", None)
        if local_src is None:
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            return result
        if args.get("src"):
            raise AnsibleActionFail(
                "go_release: give src (a file on the host) or local_src (on the controller), not both"
            )
        if args.get("state", "present") != "present":
            raise AnsibleActionFail("go_release: local_src is only used with state=present")
        local_src = os.path.expanduser(to_text(local_src))
        if not os.path.isfile(local_src):
            raise AnsibleActionFail(
                f"go_release: local_src {local_src} is not a file on the controller; give the verified binary "
                "(the go_service role passes the artifact cache's copy)"
            )
        try:
            if self._task.check_mode:
                # Nothing is uploaded in check mode; the module reports the release as it would install it.
                args["src"] = self._connection._shell.join_path("/nonexistent-check-mode", os.path.basename(local_src))
            else:
                tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
                remote = self._connection._shell.join_path(tmpdir, "go-release-binary")
                self._transfer_file(local_src, remote)
                self._fixup_perms2((tmpdir, remote))
                args["src"] = remote
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
