# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the go_service role puts a service's files: paths only, from its name and directories.

Apart from ``_service_facts`` (which reads a host) so that the ``service_layout`` filter, which the
role's variables call in nearly every task, imports only this file: each task runs in a worker process
of its own, and the collection loader compiles every module it imports there from source.
"""

from __future__ import annotations

import os

#: The keys of the layout ``claims`` reads: the paths (and unit name) of one service of the go_service role.
LAYOUT_KEYS = (
    "unit_name",
    "unit",
    "socket",
    "dropin_dir",
    "dropin",
    "env_dir",
    "env_file",
    "release_root",
    "health_service",
    "health_timer",
    "state_dir",
)


#: The drop-in the role writes for go_service_unit_overrides, in the unit's drop-in directory.
DROPIN_NAME = "50-gosvc-overrides.conf"


def service_layout(name, base_dir="/opt", config_dir="/etc", config_files=(), account=True):
    """Where the go_service role puts service ``name``: the paths ``claims`` reads (LAYOUT_KEYS), and

    - ``health_unit``: the name (without suffix) of the health watchdog's service and timer;
    - ``socket_unit``: the name of its listening socket's unit (socket activation);
    - ``config_names``: the names in ``env_dir`` the role writes besides the environment file (the first
      component of each of ``config_files``, the config files' destinations relative to ``env_dir``);
    - ``account``: the user the role creates (comment, home, shell), None when ``account`` is false;
    - ``owned_paths``: the paths whose existence and marker decide what is the role's;
    - ``config_files``: the config files' paths;
    - ``config_paths``: the files service_config manages (unit, drop-in, environment file, config files) with
      the directories they are in.

    One place for these paths: the role's variables read them from here (the ``service_layout`` filter), and
    so does the uninstall of a service that another one replaces (``go_service_replaces``).
    """
    unit_name = f"{name}.service"
    unit = f"/etc/systemd/system/{unit_name}"
    env_dir = f"{config_dir.rstrip('/')}/{name}"
    files = [f"{env_dir}/{dest}" for dest in config_files]
    paths = {
        "unit_name": unit_name,
        "unit": unit,
        "socket": f"/etc/systemd/system/{name}.socket",
        "dropin_dir": f"{unit}.d",
        "dropin": f"{unit}.d/{DROPIN_NAME}",
        "env_dir": env_dir,
        "env_file": f"{env_dir}/{name}.env",
        "release_root": f"{base_dir.rstrip('/')}/{name}",
        "health_service": f"/etc/systemd/system/{name}-health.service",
        "health_timer": f"/etc/systemd/system/{name}-health.timer",
        "state_dir": f"/var/lib/{name}",
    }
    subdirs = [d for d in dict.fromkeys(os.path.dirname(f) for f in files) if d != env_dir]
    return {
        **paths,
        "health_unit": f"{name}-health",
        "socket_unit": f"{name}.socket",
        "config_names": list(dict.fromkeys(dest.split("/", 1)[0] for dest in config_files)),
        "account": (
            {"home": "/nonexistent", "shell": "/usr/sbin/nologin", "comment": f"{name} service account"}
            if account
            else None
        ),
        "config_files": files,
        "owned_paths": [paths[key] for key in LAYOUT_KEYS if key != "unit_name"],
        "config_paths": [
            env_dir,
            paths["env_file"],
            unit,
            paths["dropin_dir"],
            paths["dropin"],
            paths["socket"],
            *files,
            *subdirs,
        ],
    }
