# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which run a task belongs to, read on the controller (gosvc.hardening.run_lock's holder).

Every task of an ansible-playbook run executes in a worker process that the run's main process started, so the
worker's parent is the same for the whole run and differs between runs. Its PID and start time (from
``/proc/<pid>/stat``, so that a PID reused later is another run) and the controller's host name make the id.
"""

from __future__ import annotations

import getpass
import os
import socket


def _start_ticks(pid, proc_root):
    """Field 22 of /proc/<pid>/stat (the process's start, in clock ticks since boot), or '' without /proc."""
    try:
        with open(os.path.join(proc_root, str(pid), "stat"), encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def run_identity(pid=None, proc_root="/proc"):
    """``(run_id, holder)`` of the run whose main process is ``pid`` (this worker's parent by default)."""
    pid = os.getppid() if pid is None else pid
    host = socket.gethostname()
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    start = _start_ticks(pid, proc_root)
    run_id = f"{host}:{pid}:{start}" if start else f"{host}:{pid}"
    return run_id, {"controller": host, "user": user, "pid": pid}
