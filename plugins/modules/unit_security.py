#!/usr/bin/python
# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: unit_security
short_description: Score a systemd service's sandboxing with systemd-analyze security and check its unit file
version_added: 0.1.0
author: gosvc.hardening contributors (@gosvc)
description:
  - Runs C(systemd-analyze security UNIT) on the target and returns the overall exposure (0.0 to 10.0),
    its level, and every check with its exposure contribution.
  - The JSON output is used where the target's systemd has it (measured - not on systemd 247, yes on 252
    and 257); the table is parsed otherwise. The JSON carries no overall figure, so the module asks
    systemd for each check's weight, badness and range (environment C(SYSTEMD_ANALYZE_DEBUG=1)) and
    computes the overall exposure from them exactly as systemd does. Both sources give the same numbers.
  - With O(max_exposure) the task fails when the exposure is higher, listing the worst checks.
  - With O(verify_unit_file=true) (the default) it also runs C(systemd-analyze verify --man=no) on the
    unit file and fails on every problem line about this unit - unknown keys, keys in the wrong section,
    unknown sections, missing executables, missing dependencies, deprecated settings - even though
    systemd itself only warns about most of them and exits 0.
  - Every command runs with C(SYSTEMD_COLORS=0), C(SYSTEMD_LOG_COLOR=0) and C(LC_ALL=C.UTF-8). The
    module only reads, so it runs unchanged in check mode and always reports C(changed=false).
  - Uses only the Python standard library on the target (Python 3.9 or later).
options:
  unit:
    description:
      - Full name of the service unit, for example V(demo.service) or V(worker@1.service). It must be
        loaded by systemd (the unit file installed and C(systemctl daemon-reload) done); it does not
        need to be running.
    type: str
    required: true
  max_exposure:
    description:
      - Fail when the overall exposure is higher than this, between V(0.0) and V(10.0).
      - Unset, the exposure is only reported.
    type: float
  verify_unit_file:
    description:
      - Run C(systemd-analyze verify --man=no) on the unit's C(FragmentPath) (its drop-ins are read
        with it) and fail on the problems it prints about this unit.
      - Lines about other units or files (dependencies systemd loads along) are returned in
        RV(verify_ignored), not failed on. So is systemd 247's false C(Command NAME is not executable)
        for a bare command name that is on systemd's executable search path.
    type: bool
    default: true
  worst:
    description:
      - How many of the highest-exposure checks to return in RV(worst) and name in the failure message.
    type: int
    default: 5
  use_json:
    description:
      - V(auto) uses JSON on systemd newer than 247 and falls back to the table if C(--json) is
        rejected; V(always) fails where JSON is not available; V(never) always parses the table.
    type: str
    choices: [auto, always, never]
    default: auto
attributes:
  check_mode:
    support: full
    description: The module only runs read-only systemd commands; check mode changes nothing.
  diff_mode:
    support: none
    description: There is nothing to diff; the module changes nothing.
  idempotent:
    support: full
    description: Read-only; repeated runs give the same result while the unit and systemd stay the same.
notes:
  - Needs a running systemd as PID 1 (C(systemd-analyze security) asks the service manager over D-Bus).
  - The man page check of C(systemd-analyze verify) is turned off (C(--man=no)) because on hosts without
    man pages installed it fails every unit that has C(Documentation=man:...) (measured on Debian 11, 12
    and 13 minimal systems).
seealso:
  - name: systemd-analyze(1)
    description: The security and verify verbs this module runs.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd-analyze.html
"""

EXAMPLES = r"""
- name: Fail the deployment if demo.service is more exposed than MEDIUM allows
  gosvc.hardening.unit_security:
    unit: demo.service
    max_exposure: 4.9

- name: Report only, keep the ten worst checks
  gosvc.hardening.unit_security:
    unit: demo.service
    worst: 10
  register: demo_security

- name: Show the exposure
  ansible.builtin.debug:
    msg: "{{ demo_security.exposure }} {{ demo_security.level }} (from the {{ demo_security.source }})"

- name: Score only, without checking the unit file
  gosvc.hardening.unit_security:
    unit: worker@1.service
    verify_unit_file: false
    use_json: never
"""

RETURN = r"""
unit:
  description: The unit that was analyzed.
  returned: always
  type: str
  sample: demo.service
exposure:
  description: Overall exposure from 0.0 (fully sandboxed) to 10.0, as systemd computes it.
  returned: success or a failure after the analysis
  type: float
  sample: 8.8
level:
  description:
    - systemd's level for the exposure - C(PERFECT) (0.0), C(SAFE) (0.1 to 0.9), C(OK) (1.0 to 4.9),
      C(MEDIUM) (5.0 to 7.4), C(EXPOSED) (7.5 to 8.9), C(UNSAFE) (9.0 to 9.9) or C(DANGEROUS) (10.0).
    - From the table it is the word systemd prints; from JSON, which has no level, the same thresholds
      are applied to the computed exposure.
  returned: success or a failure after the analysis
  type: str
  sample: EXPOSED
systemd_version:
  description: Major version of the target's systemd (from C(systemd-analyze --version)).
  returned: always
  type: int
  sample: 252
source:
  description: Where the checks were read from, C(json) or C(table).
  returned: success or a failure after the analysis
  type: str
  sample: json
checks:
  description: Every check systemd made, in systemd's order.
  returned: success or a failure after the analysis
  type: list
  elements: dict
  contains:
    name:
      description:
        - The check as systemd names it, for example C(PrivateNetwork=) or C(CapabilityBoundingSet=~CAP_SYS_ADMIN).
      type: str
    setting:
      description: The directive or directives that control the check, for example C(User/DynamicUser).
      type: str
    description:
      description: systemd's sentence about the unit's current state for this check.
      type: str
    exposure:
      description:
        - This check's contribution as systemd prints it (rounded up to a tenth, so the contributions add
          up to more than the overall exposure); 0.0 for a passed check; null when the check does not apply.
      type: float
    ok:
      description: False when the check failed or partly failed (systemd's cross mark).
      type: bool
    applicable:
      description: False when systemd says the check does not apply (no mark, no exposure).
      type: bool
    json_field:
      description: systemd's JSON field name for the check; null when read from the table.
      type: str
  sample:
    - name: PrivateNetwork=
      setting: PrivateNetwork
      description: Service has access to the host's network
      exposure: 0.5
      ok: false
      applicable: true
      json_field: PrivateNetwork
worst:
  description: The O(worst) failed checks with the highest exposure (ties by name), same fields as RV(checks).
  returned: success or a failure after the analysis
  type: list
  elements: dict
verify_problems:
  description: Problem lines C(systemd-analyze verify) printed about this unit; the task fails when there are any.
  returned: success or a failure after the analysis
  type: list
  elements: dict
  contains:
    text:
      description: The line as systemd printed it.
      type: str
    kind:
      description:
        - C(unknown-key), C(unknown-section), C(missing-executable), C(missing-dependency), C(not-found),
          C(masked), C(deprecated), C(exit-status) (non-zero exit without a line) or C(other).
      type: str
    file:
      description: The unit file or drop-in the line names, or null.
      type: str
    line:
      description: The line number in that file, or null.
      type: int
  sample:
    - text: "/etc/systemd/system/demo.service:7: Unknown key 'After' in section [Service], ignoring."
      kind: unknown-key
      file: /etc/systemd/system/demo.service
      line: 7
verify_ignored:
  description: Lines of C(systemd-analyze verify) output that were not counted, each with the reason.
  returned: success or a failure after the analysis
  type: list
  elements: dict
  sample:
    - text: "demo.service: Command sleep is not executable: No such file or directory"
      reason: bare command name sleep is on the executable path; systemd 247's verify does not search it
fragment_path:
  description: The unit file systemd loaded (C(FragmentPath)).
  returned: always
  type: str
  sample: /etc/systemd/system/demo.service
dropin_paths:
  description: The drop-in files systemd loaded (C(DropInPaths)).
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/demo.service.d/50-hardening.conf]
load_state:
  description: systemd's C(LoadState) of the unit.
  returned: always
  type: str
  sample: loaded
active_state:
  description: systemd's C(ActiveState) of the unit.
  returned: always
  type: str
  sample: active
notes:
  description: What the module did differently from the usual path (JSON rejected, verification skipped).
  returned: success or a failure after the analysis
  type: list
  elements: str
  sample: []
failed_reasons:
  description: Why the task failed (exposure over O(max_exposure), unit file problems); empty on success.
  returned: success or a failure after the analysis
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gosvc.hardening.plugins.module_utils._systemd_analyze import (
    ARGUMENT_SPEC,
    COMMAND_ENV,
    command_on_exec_path,
    is_service_name,
    security_result,
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    params = module.params
    unit = params["unit"]
    if not is_service_name(unit):
        module.fail_json(
            msg=f"Invalid option: unit is {unit!r}; give the full name of a service unit, for example demo.service "
            "or worker@1.service (a template needs an instance name)"
        )
    limit = params["max_exposure"]
    if limit is not None and not 0.0 <= limit <= 10.0:
        module.fail_json(msg=f"Invalid option: max_exposure is {limit}; use a value from 0.0 to 10.0")
    if params["worst"] < 0:
        module.fail_json(msg=f"Invalid option: worst is {params['worst']}; use 0 or more")

    bins = {name: module.get_bin_path(name, required=True) for name in ("systemd-analyze", "systemctl")}

    def run(argv, extra_env):
        env = dict(COMMAND_ENV)
        env.update(extra_env)
        return module.run_command(argv, environ_update=env)

    result = security_result(
        run,
        bins,
        unit,
        max_exposure=limit,
        verify_unit_file=params["verify_unit_file"],
        worst=params["worst"],
        use_json=params["use_json"],
        resolves=command_on_exec_path,
    )
    if result["failed"]:
        module.fail_json(**result)
    del result["failed"]
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
