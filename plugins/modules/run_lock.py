#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: run_lock
short_description: Take or give back a run's lease on one service of a host, so that two runs never interleave
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - A lease file, C(<dir>/<name>.lease), says which run deploys the service O(name) on this host (its O(run_id),
    the controller, the user and the ansible-playbook PID in O(holder)) and until when. It is read and written
    under an C(fcntl.flock) held for milliseconds, never for the run.
  - O(state=acquired) takes the lease, or extends it when this run holds it already. Another run's live lease is
    waited for up to O(wait) seconds, then the module fails naming that run, when its lease expires and what to
    do. A lease past its expiry (left by a run that was killed), or of a run started on this controller whose
    ansible-playbook process is gone, is taken over, with a warning naming it.
  - O(state=released) gives the lease back; a lease another run holds (this run's expired and was taken over)
    is left alone.
  - The lease is the collection's bookkeeping, not a state of the service, so the module reports C(changed=false).
  - In check mode nothing is written, but another run's live lease is waited for and refused all the same.
  - The action plugin fills O(run_id) and O(holder) from the controller when they are not given, from its host
    name, the user, and the PID and start time of the ansible-playbook process (every task of a run shares them).
options:
  name:
    description: The service (a file name, for example V(demo)).
    type: str
    required: true
  state:
    description: Whether this run takes (or extends) the lease, or gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
  run_id:
    description: The run's id. Filled by the action plugin when not given.
    type: str
    required: true
  holder:
    description: Who holds the lease, as the refusal of another run shows it (C(controller), C(user), C(pid)).
    type: dict
    default: {}
  ttl:
    description:
      - Seconds the lease lasts from each O(state=acquired). Longer than a run takes, and short enough that a
        killed run's lease does not hold the next one back for long.
    type: int
    default: 1800
  wait:
    description: Seconds to wait for another run's live lease before failing.
    type: int
    default: 0
  dir:
    description: Where lease files live. A tmpfs (V(/run)) means no lease outlives a reboot.
    type: path
    default: /run/gosvc-hardening
  dead:
    description:
      - Run ids known to have ended; a lease one of them holds is taken over at once, live or not. The action
        plugin fills it with the run that holds the lease when that run was started on this controller and its
        ansible-playbook process is gone (killed), so that the next run need not wait for the lease to expire.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Nothing is written; another run's lease is waited for and refused as without check mode.
  diff_mode:
    support: none
    description: The lease is not a state of the service; there is nothing to diff.
"""

EXAMPLES = r"""
- name: Take the lease on demo for this run (wait up to 5 minutes for another run)
  gosvc.hardening.run_lock:
    name: demo
    wait: 300

- name: Give it back
  gosvc.hardening.run_lock:
    name: demo
    state: released
"""

RETURN = r"""
status:
  description:
    - V(acquired), V(renewed) (this run held it), V(took_over) (from an expired lease), V(released), V(not_held)
      (nothing to give back) or V(held_by_other) (another run has it now; left alone).
    - V(checked) in check mode when no other run holds a live lease.
  returned: success
  type: str
  sample: acquired
lease:
  description:
    - The lease as written (or found), with C(run_id), C(holder), C(acquired_at) and C(expires_at) (epoch seconds).
  returned: success
  type: dict
  sample: {"run_id": "ci-1:4242:88123", "holder": {"controller": "ci-1", "user": "deploy", "pid": 4242},
           "acquired_at": 1796450000.5, "renewed_at": 1796450000.5, "expires_at": 1796451800.5}
previous:
  description: The expired lease that was taken over; null otherwise.
  returned: success
  type: dict
waited:
  description: Seconds spent waiting for another run's lease.
  returned: success
  type: float
path:
  description: The lease file.
  returned: always
  type: str
  sample: /run/gosvc-hardening/demo.lease
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._lease import (
    ARGUMENT_SPEC,
    LeaseError,
    LeaseHeld,
    lease_path,
    read,
    release,
    take,
    took_over_warning,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    name = params["name"]
    if not name or "/" in name or name.startswith("."):
        module.fail_json(msg=f"run_lock: name must be a service name without a directory, not {name!r}")
    path = lease_path(name, params["dir"])
    try:
        if params["state"] == "released":
            if module.check_mode:
                module.exit_json(changed=False, status="not_held", lease=read(path), previous=None, waited=0, path=path)
            module.exit_json(changed=False, path=path, previous=None, waited=0, **release(path, params["run_id"]))
        got = take(name, params, module.check_mode)
    except LeaseHeld as exc:
        module.fail_json(msg=f"run_lock: {name}: {exc}", lease_held=exc.lease, path=path)
    except LeaseError as exc:
        module.fail_json(msg=f"run_lock: {name}: {exc}", path=path)
    warning = took_over_warning(name, got)
    if warning:
        module.warn(f"run_lock: {warning}")
    module.exit_json(changed=False, **got)


if __name__ == "__main__":
    main()
