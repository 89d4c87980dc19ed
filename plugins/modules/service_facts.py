#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_facts
short_description: Read, in one call, what the go_service role must know about a host before changing it
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Returns the service manager (the name of PID 1), the systemd version, the release tree that
    M(gosvc.hardening.go_release) keeps under O(release_root) (the current release and the installed
    releases with their digests), whether each of O(paths) exists, the service account (O(user), O(group))
    and the state of O(unit).
  - One round trip instead of one task per fact; the role uses it in its preflight and decides from it,
    for example, that a release already installed with the expected digest needs no upload.
  - It only reads, runs unchanged in check mode and always reports C(changed=false). It does not fail
    on a host without systemd or on a release tree that go_release would refuse; it reports them.
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  release_root:
    description:
      - The root of a release tree managed by M(gosvc.hardening.go_release), for example V(/opt/demo).
      - Unset, RV(release) is null.
    type: path
  paths:
    description:
      - Paths to report in RV(paths) as existing or not.
    type: list
    elements: path
    default: []
  user:
    description: A user whose passwd entry is reported in RV(account) (C(account.user)).
    type: str
  group:
    description: A group whose entry is reported in RV(account) (C(account.group)).
    type: str
  unit:
    description: A unit whose state (C(systemctl show)) is reported in RV(unit).
    type: str
attributes:
  check_mode:
    support: full
    description: The module only reads files and runs C(systemctl --version) and C(systemctl show); check mode
      changes nothing.
  diff_mode:
    support: none
    description: There is nothing to diff; the module changes nothing.
  idempotent:
    support: full
    description: Read-only; repeated runs give the same result while the host stays the same.
notes:
  - The systemd version comes from C(systemctl --version); the service manager from C(/proc/1/comm).
seealso:
  - module: gosvc.hardening.go_release
"""

EXAMPLES = r"""
- name: Read the host before changing it
  gosvc.hardening.service_facts:
    release_root: /opt/demo
    paths:
      - /etc/systemd/system/demo-health.timer
  register: host

- name: Refuse a host that does not run systemd
  ansible.builtin.assert:
    that:
      - host.service_manager == 'systemd'
      - host.systemd_version is not none
"""

RETURN = r"""
service_manager:
  description: The command name of PID 1 (V(systemd) on a systemd host); null when unreadable.
  returned: always
  type: str
  sample: systemd
systemd_version:
  description: The major version printed by C(systemctl --version); null without a working systemctl.
  returned: always
  type: int
  sample: 252
release:
  description: The release tree under O(release_root); null when O(release_root) is not given.
  returned: always
  type: dict
  contains:
    root:
      description: O(release_root).
      type: str
      returned: always
    exists:
      description: Whether O(release_root) is a directory.
      type: bool
      returned: always
    current:
      description: The release C(current) points to, when it is an installed release; null otherwise.
      type: str
      returned: always
    releases:
      description: Installed releases (recorded and with their binary present), in install order.
      type: list
      elements: dict
      returned: always
      sample: [{"version": "1.0.0", "sha256": "d883...", "installed_at": "2026-11-30T10:00:00Z"}]
    switched_from:
      description: The release C(current) pointed to before the last switch.
      type: str
      returned: always
    error:
      description: Why the tree could not be read (go_release would refuse it the same way); null when fine.
      type: str
      returned: always
paths:
  description: Each path of O(paths) and whether it exists.
  returned: always
  type: dict
  sample: {"/etc/systemd/system/demo-health.timer": false}
account:
  description:
    - The entries of O(user) and O(group); each null when not given or not existing.
    - C(password_locked) is true when the user's shadow password is exactly C(!) (no password can log in); never
      a hash. Null when C(/etc/shadow) cannot be read.
  returned: always
  type: dict
  sample: {"user": {"name": "demo", "uid": 998, "gid": 998, "home": "/nonexistent", "shell": "/usr/sbin/nologin",
           "comment": "demo service account", "password_locked": true}, "group": {"name": "demo", "gid": 998}}
unit:
  description:
    - The state of O(unit); null when not given or when C(systemctl show) failed.
    - C(n_restarts) is systemd's C(NRestarts), the automatic restarts since the unit was last started or restarted
      on purpose; null when systemd does not report it.
  returned: always
  type: dict
  sample: {"name": "demo.service", "load_state": "loaded", "active_state": "active", "sub_state": "running",
           "unit_file_state": "enabled", "need_daemon_reload": false, "n_restarts": 0}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._service_facts import gather
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import COMMAND_ENV


def main():
    module = AnsibleModule(
        argument_spec=dict(
            release_root=dict(type="path"),
            paths=dict(type="list", elements="path", default=[]),
            user=dict(type="str"),
            group=dict(type="str"),
            unit=dict(type="str"),
        ),
        supports_check_mode=True,
    )

    def run(argv):
        return module.run_command(argv, environ_update=COMMAND_ENV)

    params = module.params
    facts = gather(
        run, params["release_root"], params["paths"], user=params["user"], group=params["group"], unit=params["unit"]
    )
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
