#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: service_wait
short_description: Wait, in one call, until a (re)started systemd service is active, healthy and ready
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Reads the unit with C(systemctl show) every half second until C(ActiveState=active). A unit that ends up
    C(failed) (no restart left) fails the task at once, with its state; one still not active after O(timeout)
    fails with its state as well.
  - With O(settle), waits that long and requires the unit to be still active with the same main PID. Use it for a
    service that nothing else can prove healthy (no C(sd_notify), no health URL), since it may crash right after
    starting.
  - Then probes O(health_url) until it answers, and O(ready_url) until it answers O(ready_success_threshold) times
    in a row, each within O(timeout), with the code and messages of M(gosvc.hardening.health_check) (a retry every
    second, backing off to 5 s).
  - One round trip instead of a C(systemd_service) poll and two C(health_check) tasks. The task fails with the
    first step that did not come through, in C(msg).
  - A failure's C(msg) ends with the unit's 10 newest journal lines (C(journalctl -u <unit> -o cat)), systemd's
    own lines about it included (how the main process ended), with O(secrets) masked, so that the reason reaches
    the controller without a shell on the host.
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  unit:
    description: The unit to wait for, for example V(demo.service).
    type: str
    required: true
  timeout:
    description: Seconds to wait for the unit to become active, and again for each URL.
    type: float
    default: 60
  settle:
    description: Seconds the unit must stay active with the same main PID after it became active; V(0) to skip.
    type: float
    default: 0
  health_url:
    description: Liveness URL (C(http://), C(https://) or C(unix:)); empty to skip.
    type: str
    default: ""
  ready_url:
    description: Readiness URL, probed after the health URL answered; empty to skip.
    type: str
    default: ""
  ready_success_threshold:
    description: Successes in a row the readiness URL must answer.
    type: int
    default: 2
  secrets:
    description:
      - Values to mask (C(********)) in the journal lines a failure message carries, for example the service's
        secret environment values; a multi-line value is masked line by line too. Never shown in any output.
    type: list
    elements: str
    default: []
  check_owner:
    description:
      - After a URL answered, check that the socket listening at its address is held by a process of O(unit) (its
        cgroup, read from C(/proc)), or by systemd for socket activation. Another service answering on that port
        (a port collision, an old instance, a neighbour) fails the task, naming the process and its unit.
      - When the socket cannot be traced on this host (a URL to another host, a unix socket), nothing is checked.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: It only reads the unit and sends GET requests; check mode does the same.
  diff_mode:
    support: none
    description: Returns no diff.
  idempotent:
    support: full
    description: Read-only.
seealso:
  - module: gosvc.hardening.health_check
notes:
  - The P(gosvc.hardening.go_service#role) role calls it after every (re)start and after a rollback.
"""

EXAMPLES = r"""
- name: Wait until active, healthy and ready
  gosvc.hardening.service_wait:
    unit: demo.service
    timeout: 30
    health_url: http://127.0.0.1:8080/healthz
    ready_url: http://127.0.0.1:8080/readyz
"""

RETURN = r"""
state:
  description: The unit's properties at the last read before the probes (or the failure).
  returned: always
  type: dict
  sample: {"LoadState": "loaded", "ActiveState": "active", "SubState": "running", "Result": "success",
           "MainPID": "4242", "NRestarts": "0", "ExecMainStartTimestamp": "Mon 2026-11-30 10:00:00 UTC"}
settled:
  description: The unit's properties after O(settle); null without it.
  returned: always
  type: dict
liveness:
  description: The M(gosvc.hardening.health_check) result for O(health_url); null when not probed.
  returned: always
  type: dict
readiness:
  description: The M(gosvc.hardening.health_check) result for O(ready_url); null when not probed.
  returned: always
  type: dict
owners:
  description:
    - With O(check_owner), per probe (C(liveness), C(readiness)) the processes holding the socket the URL reached,
      each C({pid, unit}); null when it could not be traced on this host.
  returned: always
  type: dict
  sample: {"liveness": [{"pid": 4242, "unit": "demo.service"}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._service_wait import (
    ARGUMENT_SPEC,
    WaitInputError,
    probe_config,
    wait_for_service,
)
from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import COMMAND_ENV


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    params = module.params
    systemctl = module.get_bin_path("systemctl")
    try:
        if params["timeout"] <= 0 or params["settle"] < 0 or params["ready_success_threshold"] < 1:
            raise WaitInputError("timeout must be above 0, settle 0 or more, ready_success_threshold 1 or more")
        if not systemctl:
            raise WaitInputError("systemctl not found on the host: service_wait waits for systemd units")
        health = (
            probe_config("health_url", params["health_url"], params["timeout"], 1) if params["health_url"] else None
        )
        ready = (
            probe_config("ready_url", params["ready_url"], params["timeout"], params["ready_success_threshold"])
            if params["ready_url"]
            else None
        )
        result = wait_for_service(
            lambda argv: module.run_command(argv, environ_update=COMMAND_ENV),
            systemctl,
            params["unit"],
            params["timeout"],
            health=health,
            readiness=ready,
            settle=params["settle"],
            journalctl=module.get_bin_path("journalctl"),
            secrets=params["secrets"],
            check_owner=params["check_owner"],
        )
    except WaitInputError as exc:
        module.fail_json(msg=f"service_wait: {exc}")
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
