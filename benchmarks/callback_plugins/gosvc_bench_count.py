# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count, per host, the task results that ran on the target (benchmarks only).

Enabled by benchmarks/run.py through ANSIBLE_CALLBACK_PLUGINS and
ANSIBLE_CALLBACKS_ENABLED; writes JSON to the file named by
GOSVC_BENCH_COUNT_FILE at the end of the playbook:

    {"hosts": {"<host>": {"remote": 12, "controller": 9, "tasks": {"<task>": n}}},
     "task_seconds": {"<task>": seconds summed over hosts}}

"remote" counts executions on the target: every task result (every loop item,
every `until` retry) except controller-side actions (set_fact, include_*,
debug, assert, fail, meta, ...), tasks delegated to localhost, and a
service_config result that says it was decided on the controller. It counts
tasks, not transport operations: an action plugin such as template or copy
makes two or three of those per task (stat, upload, module); run.py's
profile counts those from -vvv output.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: gosvc_bench_count
type: aggregate
short_description: count remote task executions per host (gosvc.hardening benchmarks)
description: Writes per-host counts of task results that ran on the target to GOSVC_BENCH_COUNT_FILE.
requirements: [enabled in callbacks_enabled]
"""

CONTROLLER_ACTIONS = {
    "add_host",
    "assert",
    "debug",
    "fail",
    "group_by",
    "import_playbook",
    "import_role",
    "import_tasks",
    "include",
    "include_role",
    "include_tasks",
    "include_vars",
    "meta",
    "pause",
    "set_fact",
    "set_stats",
    "validate_argument_spec",
    # This collection's action plugins that never use the connection (they write on the controller).
    "report_files",
}
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


def _short(action):
    return (action or "").rsplit(".", 1)[-1]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gosvc_bench_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._hosts = {}
        self._task_seconds = {}
        self._task_start = None
        self._task_name = None

    # -- timing per task (wall clock from one task start to the next) -------
    def _close_task(self):
        if self._task_name is not None:
            elapsed = time.monotonic() - self._task_start
            self._task_seconds[self._task_name] = self._task_seconds.get(self._task_name, 0.0) + elapsed

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self._task_name = task.get_name()
        self._task_start = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    # -- counting --------------------------------------------------------------
    def _is_remote(self, result):
        task = result._task
        if _short(task.action) in CONTROLLER_ACTIONS:
            return False
        # service_config's action plugin answers on the controller when preflight's reading shows no change.
        if result._result.get("compared_on") == "controller":
            return False
        delegated = result._result.get("_ansible_delegated_vars") or {}
        target = delegated.get("ansible_delegated_host") or delegated.get("ansible_host")
        if delegated and (target in LOCAL_NAMES or delegated.get("ansible_connection") == "local"):
            return False
        return getattr(task, "connection", None) != "local"

    def _count(self, result):
        key = "remote" if self._is_remote(result) else "controller"
        host = self._hosts.setdefault(result._host.get_name(), {"remote": 0, "controller": 0, "tasks": {}})
        host[key] += 1
        if key == "remote":
            name = result._task.get_name()
            host["tasks"][name] = host["tasks"].get(name, 0) + 1

    def _count_task(self, result):
        # A looped task reports each item separately, then an aggregate: count the items.
        if "results" in result._result:
            return
        self._count(result)

    def v2_runner_on_ok(self, result):
        self._count_task(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count_task(result)

    def v2_runner_on_unreachable(self, result):
        self._count_task(result)

    def v2_runner_item_on_ok(self, result):
        self._count(result)

    def v2_runner_item_on_failed(self, result):
        self._count(result)

    def v2_runner_retry(self, result):
        self._count(result)

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        self._task_name = None
        path = os.environ.get("GOSVC_BENCH_COUNT_FILE")
        if not path:
            return
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"hosts": self._hosts, "task_seconds": self._task_seconds}, handle, indent=1, sort_keys=True)
