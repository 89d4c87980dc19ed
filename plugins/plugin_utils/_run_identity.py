# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which run a task belongs to, read on the controller: the holder of a run's lease (module_utils/_lease.py).

Every task of an ansible-playbook run executes in a worker process that the run's main process started, so the
worker's parent is the same for the whole run and differs between runs. Its PID and start time (from
``/proc/<pid>/stat``, so that a PID reused later is another run) and the controller's host name make the id.

The same id tells, on this controller, whether the run that holds a lease still exists: its process is gone (the
run was killed) or the PID now belongs to a later process. The action plugins that take a lease (run_lock,
service_facts) then ask once more, naming that run as ended, so that the next run takes its lease over at once
instead of waiting for it to expire.
"""

from __future__ import annotations

import getpass
import os
import socket


def _start_ticks(pid, proc_root):
    """Field 22 of /proc/<pid>/stat (the process's start, in clock ticks since boot), or '' without it."""
    try:
        with open(os.path.join(proc_root, str(pid), "stat"), encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def _cmdline(pid, proc_root):
    try:
        with open(os.path.join(proc_root, str(pid), "cmdline"), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def run_process(proc_root="/proc"):
    """The PID of the ansible-playbook process this worker belongs to, or None when it has ended.

    Workers detach into sessions of their own, so a run killed with SIGKILL leaves the workers of its current
    task running: orphaned, their parent is init (or a subreaper), not the run. A forked worker has its run's
    command line; a parent with another one is not the run.
    """
    parent = os.getppid()
    if parent == 1:
        return None
    mine, theirs = _cmdline("self", proc_root), _cmdline(parent, proc_root)
    if mine is not None and theirs != mine:
        return None
    return parent


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


def run_ended(run_id, proc_root="/proc"):
    """Whether ``run_id`` names a run of this controller whose ansible-playbook process is gone.

    False when it cannot be told: a run of another controller, or an id without a start time.
    """
    host, sep, rest = (run_id or "").partition(":")
    pid, sep2, start = rest.partition(":")
    if not sep or not sep2 or not pid.isdigit() or not start or host != socket.gethostname():
        return False
    return _start_ticks(int(pid), proc_root) != start


def worker_identity(proc_root="/proc"):
    """``(run_id, holder)`` of the run this worker belongs to, or None when that run has ended."""
    main = run_process(proc_root)
    return None if main is None else run_identity(main, proc_root)


def execute_leased(execute, args, key=None, proc_root="/proc", identity=worker_identity):
    """Run a module that takes a lease: ``execute(module_args)`` returns its result.

    The lease's options are ``args`` themselves (``key`` None: run_lock) or ``args[key]`` (service_facts's
    ``lease``; absent or empty: no lease, the module runs as asked). Their run id and holder are filled from the
    run; when the module is refused because another run holds the lease (``lease_held`` in its result) and that
    run was started here and has ended, the module runs once more, told so (``dead``), and takes the lease over.
    """
    options = args if key is None else args.get(key)
    if not options:
        return execute(args)
    options = dict(options)
    if not options.get("run_id") or not options.get("holder"):
        found = identity(proc_root)
        if found is None:
            # Taken now, the lease would name init as its run: a run that never ends.
            return {
                "failed": True,
                "msg": "the ansible-playbook run of this task has ended (killed?) while the task was starting:"
                " its lease is neither taken nor given back; the next run takes over what it left",
            }
        run_id, holder = found
        options["run_id"] = options.get("run_id") or run_id
        options["holder"] = options.get("holder") or holder
    args = dict(args, **({key: options} if key else options))
    result = execute(args)
    held = result.get("lease_held") if result.get("failed") else None
    if isinstance(held, dict) and run_ended(held.get("run_id"), proc_root):
        options = dict(options, dead=[*(options.get("dead") or []), held["run_id"]])
        result = execute(dict(args, **({key: options} if key else options)))
    return result


def run_leased_action(action, task_vars, module_name, key=None):
    """The result of an action plugin's module that takes a lease (execute_leased over the task's arguments)."""

    def execute(module_args):
        return action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)

    return execute_leased(execute, dict(action._task.args), key=key)
